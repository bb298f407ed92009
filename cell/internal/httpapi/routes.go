package httpapi

import (
	"net/http"

	"github.com/pushnchat/pushnchat/cell/internal/partnership"
	"github.com/pushnchat/pushnchat/internal/crosscell"
	"github.com/pushnchat/pushnchat/internal/membershipfeed"
)

// route is one entry of the API.
type route struct {
	Method, Pattern string
	Handler         http.Handler
}

// routes is the whole API of a cell. cell/api/openapi.yaml describes the
// same list; a test keeps the two in step.
func (s *server) routes() []route {
	return []route{
		{"GET", "/healthz", s.handleHealthz()},
		{"GET", "/readyz", s.handleReadyz()},
		{"GET", "/metrics", s.handleMetrics()},

		{"POST", "/v1/session", s.handleCreateSession()},
		{"DELETE", "/v1/session", s.handleDeleteSession()},
		{"GET", "/v1/me", s.handleMe()},

		{"PUT", "/internal/v1/tenants/{id}", s.handlePutTenant()},
		{"GET", membershipfeed.Path, s.handleMembershipChanges()},
		{"GET", crosscell.OutboxPath, s.handleOutbox()},
		{"PUT", crosscell.InboxPath + "{txn}", s.handleInbox()},
		{"GET", "/v1/t/{tenant}", s.handleGetTenant()},
		{"PATCH", "/v1/t/{tenant}", s.handleUpdateTenant()},
		{"GET", "/v1/t/{tenant}/members", s.handleListMembers()},
		{"PATCH", "/v1/t/{tenant}/members/{user}", s.handleUpdateMember()},
		{"DELETE", "/v1/t/{tenant}/members/{user}", s.handleRemoveMember()},
		{"GET", "/v1/t/{tenant}/invitations", s.handleListInvitations()},
		{"POST", "/v1/t/{tenant}/invitations", s.handleCreateInvitation()},
		{"DELETE", "/v1/t/{tenant}/invitations/{invitation}", s.handleRevokeInvitation()},
		{"POST", "/v1/t/{tenant}/invitations/{invitation}/accept", s.handleAcceptInvitation()},

		{"GET", "/v1/t/{tenant}/partnerships", s.handleListPartnerships()},
		{"POST", "/v1/t/{tenant}/partnerships", s.handlePropose()},
		{"GET", "/v1/t/{tenant}/partnerships/{partnership}", s.handleGetPartnership()},
		{"POST", "/v1/t/{tenant}/partnerships/{partnership}/accept", s.handlePartnershipAction(partnership.Accept)},
		{"POST", "/v1/t/{tenant}/partnerships/{partnership}/decline", s.handlePartnershipAction(partnership.Decline)},
		{"POST", "/v1/t/{tenant}/partnerships/{partnership}/withdraw", s.handlePartnershipAction(partnership.Withdraw)},
		{"POST", "/v1/t/{tenant}/partnerships/{partnership}/end", s.handlePartnershipAction(partnership.End)},
		{"GET", "/v1/t/{tenant}/consents", s.handleListConsents()},
		{"POST", "/v1/t/{tenant}/consents", s.handleGrantConsent()},
		{"DELETE", "/v1/t/{tenant}/consents/{consent}", s.handleWithdrawConsent()},

		{"GET", "/v1/t/{tenant}/listings", s.handleListListings()},
		{"POST", "/v1/t/{tenant}/listings", s.handleCreateListing()},
		{"GET", "/v1/t/{tenant}/listings/{listing}", s.handleGetListing()},
		{"PATCH", "/v1/t/{tenant}/listings/{listing}", s.handleUpdateListing()},
		{"POST", "/v1/t/{tenant}/listings/{listing}/publish", s.handleTransition("publish")},
		{"POST", "/v1/t/{tenant}/listings/{listing}/unpublish", s.handleTransition("unpublish")},
		{"POST", "/v1/t/{tenant}/listings/{listing}/archive", s.handleTransition("archive")},
		{"POST", "/v1/t/{tenant}/listings/{listing}/photos", s.handleUploadPhoto()},
		{"DELETE", "/v1/t/{tenant}/listings/{listing}/photos/{photo}", s.handleDeletePhoto()},
		{"GET", "/v1/t/{tenant}/media/{photo}/{variant}", s.handleTeamMedia()},

		{"GET", "/v1/t/{tenant}/conversations", s.handleListConversations()},
		{"POST", "/v1/t/{tenant}/conversations", s.handleCreateConversation()},
		{"GET", "/v1/t/{tenant}/conversations/{conversation}/messages", s.handleListMessages()},
		{"POST", "/v1/t/{tenant}/conversations/{conversation}/messages", s.handleSendMessage()},
		{"POST", "/v1/t/{tenant}/conversations/{conversation}/messages/{seq}/reports", s.handleReportMessage()},
		{"POST", "/v1/t/{tenant}/conversations/{conversation}/attachments", s.handleUploadAttachment()},
		{"GET", "/v1/t/{tenant}/conversations/{conversation}/attachments/{attachment}", s.handleGetAttachment()},
		{"GET", "/v1/me/sync", s.handleSync()},
		{"GET", "/v1/realtime", s.handleRealtime()},

		{"GET", "/v1/markets/{country}/listings", s.handleMarket()},
		{"GET", "/v1/markets/{country}/listings/{listing}", s.handleMarketListing()},
		{"GET", "/v1/markets/{country}/media/{photo}/{variant}", s.handleMarketMedia()},
	}
}
