package messaging

import "context"

// Store keeps messages. AppendMessage stores m as its conversation's next
// message, or, for an id already stored, returns that message with
// created=false. It calls committed with each new message after its
// commit and before AppendMessage returns, the messages of one
// conversation in seq order, from the goroutine that committed them:
// followers then hear them in seq order, whatever order the senders'
// goroutines wake in. committed must not block for long.
type Store interface {
	AppendMessage(ctx context.Context, m Message, committed func(Message)) (stored Message, created bool, err error)
}

// Publisher makes a stored message live: the conversation's followers get
// it and offline members a push. It never fails the sender: a message
// whose publish is lost is delivered from the store.
type Publisher interface {
	Publish(ctx context.Context, m Message)
}

// Sender sends messages: it stores each one, publishes it as it commits,
// and publishes a retry's stored message again, in case the first
// attempt's publish was lost (receivers drop what they have).
type Sender struct {
	Store     Store
	Publisher Publisher
	// Check, when set, may refuse a valid message before it is stored (a
	// partner conversation's residency check).
	Check func(context.Context, Message) error
}

// Send validates and sends m; created is false for a retry of a message
// already stored, which is returned as it was stored.
func (s Sender) Send(ctx context.Context, m Message) (stored Message, created bool, err error) {
	if err := m.Validate(); err != nil {
		return Message{}, false, err
	}
	if s.Check != nil {
		if err := s.Check(ctx, m); err != nil {
			return Message{}, false, err
		}
	}
	publish := func(m Message) { s.Publisher.Publish(context.WithoutCancel(ctx), m) }
	stored, created, err = s.Store.AppendMessage(ctx, m, publish)
	if err != nil {
		return Message{}, false, err
	}
	if !created {
		publish(stored)
	}
	return stored, created, nil
}
