// Countries a business may sign up from, as the form offers them (named
// in the reader's language by Intl.DisplayNames); the residency policy
// (GET /v1/placement) says for each where it would live.
export const countries = ["NG", "GH", "CI", "SN", "KE", "UG", "TZ", "RW", "ET", "ZA", "BW", "EG", "MA", "US", "DE", "FR", "PT", "GB"] as const;
