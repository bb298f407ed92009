package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/pushnchat/pushnchat/internal/testenv"
)

// The group commit's plans (of a batch, and of a single message), as its
// own pool keeps them, look conversations up by primary key even when the
// table is small: a plan that scans it once per conversation of a batch
// had made busy batches take 250 ms.
func TestGroupCommitPlanUsesThePrimaryKey(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, testenv.Postgres(t, testenv.Template{Name: "cell", Migrate: Migrate}), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.appender.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for _, st := range []struct{ name, sql, args string }{
		{"batch_insert", batchInsert, "('{}', '{}', '{}', '{}')"},
		{"single_insert", singleInsert, "('" + uuid.NewString() + "', '" + uuid.NewString() + "', '" + uuid.NewString() + "', '')"},
	} {
		if _, err := conn.Exec(ctx, "PREPARE "+st.name+" AS "+st.sql); err != nil {
			t.Fatal(err)
		}
		rows, err := conn.Query(ctx, "EXPLAIN EXECUTE "+st.name+st.args)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		text := strings.Join(plan, "\n")
		if !strings.Contains(text, "Index Scan using conversation_pkey") || strings.Contains(text, "Seq Scan on conversation") {
			t.Fatalf("the group commit's %s plan does not look conversations up by primary key:\n%s", st.name, text)
		}
	}
}
