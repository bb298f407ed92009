import type { components } from "@/api/controlplane";
import type { Key } from "@/i18n/messages/en";

type Placement = components["schemas"]["Placement"];

// placementReason is which sentence explains a placement in the reader's
// language, from the placement rules the policy names (beside the
// statutes it cites); its own explanation is in English, for the
// directory and the audit.
export function placementReason(p: Placement): Key {
  if (p.allowed) {
    if (p.rules.includes("placement.regional-fallback")) return "signup.why.fallback";
    if (p.rules.includes("placement.authorised-abroad")) return "signup.why.authorised";
    return "signup.why.home";
  }
  // A refusal is either a country the platform does not serve, or a law
  // that wants its authority's authorisation first (named by its statute).
  return p.rules.includes("placement.unsupported-country") ? "signup.why.unsupported" : "signup.why.needsAuthorisation";
}
