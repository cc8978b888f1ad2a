package authapi

// The API's wire format (RSA's published swagger; notes/auth-api.md): the
// fields rsatui sends and reads, shared with the simulator that serves it.

// AuthAPIPath is where the API is served.
const AuthAPIPath = "/mfa/v1_1/authn/"

// The API's words.
const (
	MethodSecurID          = "SECURID"
	MethodNextTokencode    = "SECURID_NEXT_TOKENCODE"
	MethodNewPIN           = "SECURID_NEW_PIN"
	AttemptSuccess         = "SUCCESS"
	AttemptFail            = "FAIL"
	AttemptChallenge       = "CHALLENGE"
	AttemptError           = "ERROR"
	PromptNextTokencodeRes = "PROMPT.SID.NEXT_TOKENCODE"
	PromptNewPINRes        = "PROMPT.SID.NEW_PIN"
)

// AuthnRequest is initialize's and verify's body (the fields rsatui and
// the simulator use).
type AuthnRequest struct {
	ClientID           string       `json:"clientId,omitempty"`
	SubjectName        string       `json:"subjectName,omitempty"`
	SubjectCredentials []Credential `json:"subjectCredentials,omitempty"`
	Context            AuthnContext `json:"context"`
	AuthnAttemptID     string       `json:"authnAttemptId,omitempty"` // cancel
}

// Credential is one method's inputs.
type Credential struct {
	MethodID        string  `json:"methodId"`
	CollectedInputs []Input `json:"collectedInputs"`
}

// Input is one collected input.
type Input struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// AuthnContext ties the steps of an attempt together.
type AuthnContext struct {
	AuthnAttemptID string `json:"authnAttemptId,omitempty"`
	MessageID      string `json:"messageId,omitempty"`
	InResponseTo   string `json:"inResponseTo,omitempty"`
}

// AuthnResponse is the API's answer.
type AuthnResponse struct {
	Context                     AuthnContext       `json:"context"`
	AttemptResponseCode         string             `json:"attemptResponseCode"`
	AttemptReasonCode           string             `json:"attemptReasonCode,omitempty"`
	CredentialValidationResults []ValidationResult `json:"credentialValidationResults,omitempty"`
	ChallengeMethods            *Challenges        `json:"challengeMethods,omitempty"`
}

// ValidationResult is a method's verdict within an attempt.
type ValidationResult struct {
	MethodID           string `json:"methodId"`
	MethodResponseCode string `json:"methodResponseCode"`
}

// Challenges are what the API asks for next.
type Challenges struct {
	Challenges []Challenge `json:"challenges"`
}

// Challenge is one set of methods asked for.
type Challenge struct {
	MethodSetID     string   `json:"methodSetId"`
	RequiredMethods []Method `json:"requiredMethods"`
}

// Method is a method asked for, with its prompt.
type Method struct {
	MethodID string    `json:"methodId"`
	Versions []Version `json:"versions"`
}

// Version carries the prompt.
type Version struct {
	VersionID string `json:"versionId"`
	Prompt    Prompt `json:"prompt"`
}

// Prompt is what the person is asked.
type Prompt struct {
	PromptResourceID string `json:"promptResourceId"`
	DefaultText      string `json:"defaultText"`
	Sensitive        bool   `json:"sensitive"`
}
