package sandbox

import "github.com/guardrails-dev/guardrails/internal/deployrender"

// defaultRender renders deploy/'s webhook configurations (with `kubectl
// kustomize`) for the sandbox's URL.
var defaultRender RenderFunc = deployrender.Local
