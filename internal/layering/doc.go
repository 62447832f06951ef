// Package layering holds no code: its test enforces the import arrows
// between Guardrails' packages, bottom to top:
//
//	rules                         the rule engine and every rule (no I/O)
//	heapcost                      heap measuring for the memory benchmarks (imports none)
//	typedjson                     JSON into typed objects, sigs.k8s.io/json's way, faster (imports none)
//	jsonstring                    strings written as encoding/json writes them (imports none)
//	ingressindex, bindingindex,   above rules only
//	config
//	policy                        rules + config: actions and exemptions
//	manifest, inputview, report   the CLI path: files in, reports out
//	configreload                  policy + config: the policy in force of the server
//	clustercache                  the server's informers
//	audit, policyreport           a live cluster judged (webhook audit, the
//	                              background audit, the namespace preview)
//	review                        the AdmissionReview reader (transport, imports jsonstring only)
//	admission                     the handlers (the preview calls audit)
//	cmd/webhook                   wires either path into the binary
//
// rules imports no other Guardrails package; the CLI path and the server
// path never import each other (the server must not depend on the file
// reader, and `webhook check` must never need the server); nothing imports
// cmd or hack. Tests of an external test package (package x_test) may
// reach higher layers to build their inputs: that adds no arrow to x.
package layering
