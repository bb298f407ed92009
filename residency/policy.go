package residency

// This file is the law as data. Each entry carries the rule id that
// decisions cite; change the data, bump PolicyVersion, and regenerate the
// golden decision table (go test ./residency -update) for review.

// PolicyVersion names this edition of the policy.
const PolicyVersion = "2026-11-25.1"

// Category is a kind of data, as the law distinguishes it.
type Category string

// Data categories.
const (
	Account               Category = "account"
	BusinessProfilePublic Category = "business_profile_public"
	ContactPerson         Category = "contact_person"
	ListingPublic         Category = "listing_public"
	ListingMedia          Category = "listing_media"
	MessageContent        Category = "message_content"
	Partnership           Category = "partnership"
	Payment               Category = "payment"
	Analytics             Category = "analytics"
	GovernmentData        Category = "government_data"
	HealthData            Category = "health_data"
	EducationData         Category = "education_data"
	ChildrenData          Category = "children_data"
)

// Categories lists every category.
var Categories = []Category{Account, BusinessProfilePublic, ContactPerson, ListingPublic, ListingMedia, MessageContent,
	Partnership, Payment, Analytics, GovernmentData, HealthData, EducationData, ChildrenData}

// public categories hold what a business publishes itself; they cross
// borders without a basis, but every crossing is still recorded.
var public = map[Category]bool{BusinessProfilePublic: true, ListingPublic: true, ListingMedia: true}

// sensitive categories need more than an ordinary basis in several laws.
var sensitive = map[Category]bool{HealthData: true, ChildrenData: true}

// Basis is a legal ground for moving personal data across a border.
type Basis string

// Bases.
const (
	Adequacy      Basis = "adequacy"      // the destination is found adequate (EU: US only for DPF-certified recipients)
	Safeguards    Basis = "safeguards"    // binding safeguards: SCCs, binding agreement, BCRs
	Consent       Basis = "consent"       // the data subject's consent
	Contract      Basis = "contract"      // necessary for a contract with or in the interest of the data subject
	Authorisation Basis = "authorisation" // the authority's prior authorisation / certificate / licence is on file
	DPFCertified  Basis = "dpf-certified" // the US recipient is certified under the EU-US Data Privacy Framework
)

// Bases lists every basis.
var Bases = []Basis{Adequacy, Safeguards, Consent, Contract, Authorisation, DPFCertified}

// Jurisdiction is a body of data-protection law.
type Jurisdiction struct {
	Code string // "NG", "EU", …
	Name string
	Law  string
	// Localised categories must be processed inside the jurisdiction.
	Localised map[Category]string // category → rule id
	// NeedsAuthorisation: storing data abroad needs an authority's
	// certificate, licence or permit on file.
	NeedsAuthorisation string // rule id, "" when not needed
	// Export says how personal data may leave; nil means no restriction.
	Export            *ExportRule
	BreachNoticeHours int // 0: "as soon as reasonably possible" or state laws
	DSARDays          int // 0: no statutory period
}

// ExportRule lists the bases on which personal data may leave a
// jurisdiction, what must be recorded, and stricter terms for sensitive data.
type ExportRule struct {
	Rule      string
	Bases     []Basis
	Record    []string
	Sensitive *ExportRule // when nil, sensitive data follows the main rule
	// AllOf, when set, means every listed basis is needed together.
	AllOf []Basis
}

var jurisdictions = map[string]*Jurisdiction{
	"NG": {Code: "NG", Name: "Nigeria", Law: "Nigeria Data Protection Act 2023 (s.41-43), GAID 2025",
		Localised: map[Category]string{GovernmentData: "ng.localisation.government-data"},
		Export: &ExportRule{Rule: "ng.transfer.s41-43", Bases: []Basis{Adequacy, Safeguards, Consent, Contract},
			Record: []string{"legal basis (NDPA s.41(1)(a) adequacy or safeguards, s.43 consent or contract)", "transfer assessment (NDPA s.41(2))"}},
		BreachNoticeHours: 72, DSARDays: 30},
	"ZA": {Code: "ZA", Name: "South Africa", Law: "Protection of Personal Information Act (s.72, s.57)",
		Export: &ExportRule{Rule: "za.transfer.s72", Bases: []Basis{Adequacy, Safeguards, Consent, Contract},
			Record: []string{"legal basis (POPIA s.72(1))"},
			Sensitive: &ExportRule{Rule: "za.transfer.s57-prior-authorisation", Bases: []Basis{Authorisation},
				Record: []string{"Information Regulator prior authorisation (POPIA s.57)"}}},
		BreachNoticeHours: 0, DSARDays: 30},
	"KE": {Code: "KE", Name: "Kenya", Law: "Data Protection Act 2019 (s.48-50), Data Protection (General) Regulations 2021 reg. 26",
		Localised: map[Category]string{
			GovernmentData: "ke.reg26.government-data", HealthData: "ke.reg26.health-data", EducationData: "ke.reg26.education-data"},
		Export: &ExportRule{Rule: "ke.transfer.s48", Bases: []Basis{Safeguards, Consent, Contract},
			Record:    []string{"legal basis (DPA s.48)", "proof of safeguards for the Data Commissioner"},
			Sensitive: &ExportRule{Rule: "ke.transfer.s49-sensitive", AllOf: []Basis{Consent, Safeguards}, Record: []string{"consent and safeguards (DPA s.49)"}}},
		BreachNoticeHours: 72, DSARDays: 7},
	"EU": {Code: "EU", Name: "European Union / EEA", Law: "GDPR chapter V",
		Export: &ExportRule{Rule: "eu.transfer.chapter-v", Bases: []Basis{DPFCertified, Safeguards, Consent, Contract},
			Record: []string{"transfer mechanism (Art. 45 adequacy: US DPF certification; Art. 46 SCCs with a transfer impact assessment; Art. 49 derogation for occasional transfers)"}},
		BreachNoticeHours: 72, DSARDays: 30},
	"US": {Code: "US", Name: "United States", Law: "no general federal restriction on transfers (state laws)",
		BreachNoticeHours: 0, DSARDays: 0},
	"RW": {Code: "RW", Name: "Rwanda", Law: "Law No 058/2021 on the protection of personal data and privacy (art. 50)",
		NeedsAuthorisation: "rw.storage-abroad.certificate",
		Export:             &ExportRule{Rule: "rw.transfer.authorisation", Bases: []Basis{Authorisation}, Record: []string{"NCSA authorisation certificate"}},
		BreachNoticeHours:  48},
	"EG": {Code: "EG", Name: "Egypt", Law: "Personal Data Protection Law No. 151 of 2020 (art. 14)",
		NeedsAuthorisation: "eg.storage-abroad.licence",
		Export:             &ExportRule{Rule: "eg.transfer.licence", Bases: []Basis{Authorisation}, Record: []string{"PDPC licence or permit"}},
		BreachNoticeHours:  72},
	"TZ": {Code: "TZ", Name: "Tanzania", Law: "Personal Data Protection Act 2022 (s.31-32)",
		NeedsAuthorisation: "tz.storage-abroad.permit",
		Export:             &ExportRule{Rule: "tz.transfer.permit", Bases: []Basis{Authorisation}, Record: []string{"PDPC permit"}}},
}

// otherAfrica is the rule for African jurisdictions with no specific entry:
// personal data may leave on consent or safeguards, recorded.
var otherAfrica = ExportRule{Rule: "africa.transfer.consent-or-safeguards", Bases: []Basis{Consent, Safeguards, Contract},
	Record: []string{"legal basis (consent or safeguards) under the country's data-protection law"}}

// Cell is a deployment that can home tenants.
type Cell struct {
	Name         string
	Jurisdiction string
	Region       string // Google Cloud region
	Standby      bool   // an in-jurisdiction standby, a failover target only
}

var cells = []Cell{
	{"lagos-1", "NG", "africa-west1 (Lagos)", false},
	{"lagos-1-standby", "NG", "africa-west1 (Lagos, second zone)", true},
	{"johannesburg-1", "ZA", "africa-south1 (Johannesburg)", false},
	{"johannesburg-1-standby", "ZA", "africa-south1 (Johannesburg, second zone)", true},
	{"nairobi-1", "KE", "Nairobi (in-country provider)", false},
	{"nairobi-1-standby", "KE", "Nairobi (second site)", true},
	{"us-1", "US", "us-east4", false},
	{"us-1-standby", "US", "us-east4 (second zone)", true},
	{"eu-1", "EU", "europe-west3 (Frankfurt)", false},
	{"eu-1-standby", "EU", "europe-west3 (second zone)", true},
}

// eea maps EU/EEA members to the EU jurisdiction.
var eea = []string{"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IS", "IT",
	"LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK"}

// africa is the 54 African Union-recognised / UN member states of Africa,
// each its own jurisdiction, with the cell that homes its businesses when
// it has none of its own ("" when placement needs an authorisation first:
// then authorisedCell says where they go once it is on file).
var africa = map[string]struct {
	Name     string
	Fallback string
}{
	"DZ": {"Algeria", "eu-1"}, "AO": {"Angola", "johannesburg-1"}, "BJ": {"Benin", "lagos-1"},
	"BW": {"Botswana", "johannesburg-1"}, "BF": {"Burkina Faso", "lagos-1"}, "BI": {"Burundi", "nairobi-1"},
	"CV": {"Cabo Verde", "lagos-1"}, "CM": {"Cameroon", "lagos-1"}, "CF": {"Central African Republic", "lagos-1"},
	"TD": {"Chad", "lagos-1"}, "KM": {"Comoros", "nairobi-1"}, "CG": {"Congo", "johannesburg-1"},
	"CD": {"DR Congo", "nairobi-1"}, "CI": {"Côte d'Ivoire", "lagos-1"}, "DJ": {"Djibouti", "nairobi-1"},
	"EG": {"Egypt", ""}, "GQ": {"Equatorial Guinea", "lagos-1"}, "ER": {"Eritrea", "nairobi-1"},
	"SZ": {"Eswatini", "johannesburg-1"}, "ET": {"Ethiopia", "nairobi-1"}, "GA": {"Gabon", "lagos-1"},
	"GM": {"Gambia", "lagos-1"}, "GH": {"Ghana", "lagos-1"}, "GN": {"Guinea", "lagos-1"},
	"GW": {"Guinea-Bissau", "lagos-1"}, "KE": {"Kenya", ""}, "LS": {"Lesotho", "johannesburg-1"},
	"LR": {"Liberia", "lagos-1"}, "LY": {"Libya", "eu-1"}, "MG": {"Madagascar", "johannesburg-1"},
	"MW": {"Malawi", "johannesburg-1"}, "ML": {"Mali", "lagos-1"}, "MR": {"Mauritania", "lagos-1"},
	"MU": {"Mauritius", "johannesburg-1"}, "MA": {"Morocco", "eu-1"}, "MZ": {"Mozambique", "johannesburg-1"},
	"NA": {"Namibia", "johannesburg-1"}, "NE": {"Niger", "lagos-1"}, "NG": {"Nigeria", ""},
	"RW": {"Rwanda", ""}, "ST": {"São Tomé and Príncipe", "lagos-1"}, "SN": {"Senegal", "lagos-1"},
	"SC": {"Seychelles", "nairobi-1"}, "SL": {"Sierra Leone", "lagos-1"}, "SO": {"Somalia", "nairobi-1"},
	"ZA": {"South Africa", ""}, "SS": {"South Sudan", "nairobi-1"}, "SD": {"Sudan", "nairobi-1"},
	"TZ": {"Tanzania", ""}, "TG": {"Togo", "lagos-1"}, "TN": {"Tunisia", "eu-1"},
	"UG": {"Uganda", "nairobi-1"}, "ZM": {"Zambia", "johannesburg-1"}, "ZW": {"Zimbabwe", "johannesburg-1"},
}

// authorisedCell is where businesses of authorisation-first countries are
// homed once the authorisation is on file.
var authorisedCell = map[string]string{"RW": "nairobi-1", "EG": "eu-1", "TZ": "nairobi-1"}
