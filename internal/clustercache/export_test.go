package clustercache

// ClaimsOf is claimsOf for the external tests.
var ClaimsOf = claimsOf
