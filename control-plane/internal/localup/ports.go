package localup

import "github.com/pushnchat/pushnchat/internal/devstack"

// Ports is the fixed port plan of the local platform, so that URLs stay the
// same from one `make up` to the next.
type Ports struct {
	Consul       int   // HTTP; the agent's other ports follow (+1 … +5)
	AuthEmulator int   // Auth API; hub and logging follow (+1, +2)
	CellPostgres []int // per cell, in Cells order
	CellRedis    []int
	CellHTTP     []int
	// The control plane's own PostgreSQL and API, and the router: the
	// platform's front door.
	ControlPlanePostgres, ControlPlane, Router int
	// RouterMetrics serves the router's Prometheus /metrics.
	RouterMetrics int
	// Web is the web app's server, behind the router.
	Web int
	// XDS is the control plane's xDS (ADS, gRPC) server.
	XDS int
}

// PortPlan lays the ports out from base: Consul at base, the Auth emulator
// at base+10, the control plane's PostgreSQL, API and xDS at base+20, +21
// and +22, the
// router at base+30 (its metrics at +31), cell i's PostgreSQL at base+100+10i, its Redis one
// above and the cell's HTTP API two above.
// Base zero puts every server on its own free port (tests of `up`).
func PortPlan(base int) Ports {
	if base == 0 {
		return freePortPlan()
	}
	p := Ports{Consul: base, AuthEmulator: base + 10, ControlPlanePostgres: base + 20, ControlPlane: base + 21, XDS: base + 22, Router: base + 30, RouterMetrics: base + 31, Web: base + 32}
	for i := range Cells {
		p.CellPostgres = append(p.CellPostgres, base+100+10*i)
		p.CellRedis = append(p.CellRedis, base+101+10*i)
		p.CellHTTP = append(p.CellHTTP, base+102+10*i)
	}
	return p
}

// freePortPlan gives every server of the platform a distinct free port
// (Consul and the Auth emulator pick their own blocks).
func freePortPlan() Ports {
	n := len(Cells)
	ports, err := devstack.FreePorts(3*n + 6)
	if err != nil {
		// No ports at all: let each server fail to bind and say so.
		ports = make([]int, 3*n+6)
	}
	p := Ports{CellPostgres: ports[:n], CellRedis: ports[n : 2*n], CellHTTP: ports[2*n : 3*n]}
	p.ControlPlanePostgres, p.ControlPlane, p.Router, p.RouterMetrics, p.Web = ports[3*n], ports[3*n+1], ports[3*n+2], ports[3*n+3], ports[3*n+4]
	p.XDS = ports[3*n+5]
	return p
}
