// Package authz is the one place a cell decides who may do what inside a
// tenant. Every handler asks Decide before it acts; the table below is the
// whole policy.
package authz

import (
	"slices"

	"github.com/pushnchat/pushnchat/cell/internal/tenant"
	"github.com/pushnchat/pushnchat/internal/errs"
)

// Action is something done inside a tenant.
type Action string

// Actions.
const (
	TenantRead       Action = "tenant.read"
	TenantUpdate     Action = "tenant.update"
	TenantBilling    Action = "tenant.billing" // the subscription tier
	MemberList       Action = "member.list"
	MemberUpdate     Action = "member.update"
	MemberRemove     Action = "member.remove"
	InvitationCreate Action = "invitation.create"
	InvitationList   Action = "invitation.list"
	InvitationRevoke Action = "invitation.revoke"
	ListingRead      Action = "listing.read"
	ListingWrite     Action = "listing.write"     // create, edit, publish, unpublish, archive, photos
	ConversationRead Action = "conversation.read" // list one's conversations, read their messages
	ConversationSend Action = "conversation.send" // start conversations, send messages
	PartnershipRead  Action = "partnership.read"
	PartnershipAct   Action = "partnership.act" // propose, accept, decline, withdraw, end
	ConsentManage    Action = "consent.manage"  // a person's own consents, given as a member
)

// minRole is the weakest tenant role allowed each action.
var minRole = map[Action]tenant.Role{
	TenantRead:       tenant.Viewer,
	TenantUpdate:     tenant.Admin,
	TenantBilling:    tenant.Owner,
	MemberList:       tenant.Viewer,
	MemberUpdate:     tenant.Admin,
	MemberRemove:     tenant.Admin,
	InvitationCreate: tenant.Admin,
	InvitationList:   tenant.Admin,
	InvitationRevoke: tenant.Admin,
	ListingRead:      tenant.Viewer,
	ListingWrite:     tenant.Member,
	ConversationRead: tenant.Viewer,
	ConversationSend: tenant.Member,
	PartnershipRead:  tenant.Viewer,
	PartnershipAct:   tenant.Admin,
	ConsentManage:    tenant.Viewer,
}

// PlatformRole is a role across the platform, from a Firebase custom claim.
type PlatformRole string

// Platform roles.
const (
	AdminOps   PlatformRole = "admin-ops"
	Compliance PlatformRole = "compliance"
	SRE        PlatformRole = "sre"
)

// platformReads are what platform staff may read in any tenant
// (moderation, audits); they never write tenant data through the tenant
// API, and message content is not theirs to read.
var platformReads = map[PlatformRole][]Action{
	AdminOps:   {TenantRead, MemberList, ListingRead},
	Compliance: {TenantRead, MemberList, ListingRead},
}

// Actor is who is asking.
type Actor struct {
	UserID        string
	PlatformRoles []PlatformRole
}

// Decide returns nil when actor may perform action in a tenant where its
// role is role ("" when the actor is not a member). Someone who is not a
// member gets NotFound, never Forbidden, so a tenant's existence does not
// leak; a member whose role is too weak gets Forbidden.
func Decide(actor Actor, action Action, role tenant.Role) error {
	need, ok := minRole[action]
	if !ok {
		return errs.E(errs.Internal, "authz: unknown action %q", action)
	}
	if role == "" {
		for _, pr := range actor.PlatformRoles {
			if slices.Contains(platformReads[pr], action) {
				return nil
			}
		}
		return errs.E(errs.NotFound, "no such business")
	}
	if role.Rank() < need.Rank() {
		return errs.E(errs.Forbidden, "your role (%s) does not allow %s; it needs %s or above", role, action, need)
	}
	return nil
}

// CanAssign decides whether a member with role actorRole may change a
// member from role from to role to. Only owners touch ownership; admins
// manage admins, members and viewers.
func CanAssign(actorRole, from, to tenant.Role) error {
	if from == tenant.Owner || to == tenant.Owner {
		if actorRole != tenant.Owner {
			return errs.E(errs.Forbidden, "only an owner can grant or take away ownership")
		}
		return nil
	}
	if actorRole.Rank() < tenant.Admin.Rank() {
		return errs.E(errs.Forbidden, "only owners and admins manage the team")
	}
	return nil
}

// Access is what one person may do in this cell's tenants: who they are
// and their role in each tenant they belong to. REST, sync and the
// realtime sessions all decide through it, so a viewer, a removed member
// or a stranger gets the same answer on every transport.
type Access struct {
	Actor Actor
	Roles map[string]tenant.Role // tenant id → role
}

// May decides action in the tenant tenantID (see Decide).
func (a Access) May(action Action, tenantID string) error {
	return Decide(a.Actor, action, a.Roles[tenantID])
}

// Tenants lists the tenants the person belongs to where action is allowed.
func (a Access) Tenants(action Action) []string {
	out := make([]string, 0, len(a.Roles))
	for id := range a.Roles {
		if a.May(action, id) == nil {
			out = append(out, id)
		}
	}
	return out
}
