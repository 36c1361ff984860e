package tools_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"deltawriter.local/deploy/tools/kube"
)

var repo = func() string {
	abs, err := filepath.Abs("../..")
	if err != nil {
		panic(err)
	}
	return abs
}()

const chartDir = "deploy/helm/delta-writer"

// Variables is files/variables.json of the chart (generated from the apps' schemas; deploy/test checks it).
type Variables map[string]struct {
	Config   []string          `json:"config"`
	Secret   []string          `json:"secret"`
	Managed  []string          `json:"managed"`
	Defaults map[string]string `json:"defaults"`
}

func loadVariables(t *testing.T) Variables {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repo, chartDir, "files/variables.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v Variables
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func (v Variables) all(app string) map[string]bool {
	out := map[string]bool{}
	for _, list := range [][]string{v[app].Config, v[app].Secret, v[app].Managed} {
		for _, n := range list {
			out[n] = true
		}
	}
	return out
}

func tool(t *testing.T, env, name string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		return p
	}
	p := filepath.Join(repo, ".cache/bin", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s not found at %s: run deploy/check.sh once (it installs it), or set %s", name, p, env)
	}
	return p
}

// render runs `helm template` on the chart with one values file and decodes the result strictly.
func render(t *testing.T, valuesFile string) []kube.Object {
	t.Helper()
	cmd := exec.Command(tool(t, "DW_HELM", "helm"), "template", "dw", filepath.Join(repo, chartDir),
		"--namespace", "data", "--kube-version", "1.31.0", "-f", filepath.Join(repo, chartDir, "ci", valuesFile))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm template -f %s: %v\n%s", valuesFile, err, stderr.String())
	}
	objects, err := kube.Decode(out)
	if err != nil {
		t.Fatalf("rendered manifests of %s are invalid:\n%v", valuesFile, err)
	}
	return objects
}

func readValues(t *testing.T, valuesFile string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repo, chartDir, "ci", valuesFile))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := yaml.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// lookup walks nested maps: lookup(v, "config", "shared") etc.
func lookup(v map[string]any, path ...string) map[string]any {
	cur := v
	for _, p := range path {
		next, _ := cur[p].(map[string]any)
		if next == nil {
			return map[string]any{}
		}
		cur = next
	}
	return cur
}

func asEnvString(v any) string {
	switch x := v.(type) {
	case float64:
		return strings.TrimSuffix(strings.TrimSuffix(jsonNumber(x), ".0"), ".")
	case bool:
		if x {
			return "true"
		}
		return "false"
	default:
		return toString(v)
	}
}

func jsonNumber(f float64) string { b, _ := json.Marshal(f); return string(b) }
func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

var refPattern = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// containerEnv is the environment a container would see: envFrom ConfigMaps, then env entries in order (later
// wins), with downward-API fields and Secret keys filled from fakes / the rendered Secret.
func containerEnv(c corev1.Container, configMaps map[string]map[string]string, secrets map[string]string) map[string]string {
	env := map[string]string{}
	for _, from := range c.EnvFrom {
		if from.ConfigMapRef != nil {
			for k, v := range configMaps[from.ConfigMapRef.Name] {
				env[k] = v
			}
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = refPattern.ReplaceAllStringFunc(e.Value, func(m string) string {
				return env[refPattern.FindStringSubmatch(m)[1]]
			})
		case e.ValueFrom.FieldRef != nil:
			env[e.Name] = map[string]string{"metadata.name": "dw-pod-0", "status.podIP": "10.1.2.3"}[e.ValueFrom.FieldRef.FieldPath]
		case e.ValueFrom.SecretKeyRef != nil:
			if v, ok := secrets[e.ValueFrom.SecretKeyRef.Key]; ok {
				env[e.Name] = v
			}
		}
	}
	return env
}

// Workload is what deploy/scripts/check-env.ts reads.
type Workload struct {
	Name string            `json:"name"`
	App  string            `json:"app"`
	Env  map[string]string `json:"env"`
}

// checkWithApps runs the apps' own configuration loaders over the workloads (node + tsx from the repository).
func checkWithApps(t *testing.T, workloads []Workload) {
	t.Helper()
	input, err := json.Marshal(workloads)
	if err != nil {
		t.Fatal(err)
	}
	// --conditions=source: the apps' loaders and the workspace packages they use run from their TypeScript sources.
	cmd := exec.Command("node", "--conditions=source", "--import", "tsx", "deploy/scripts/check-env.ts")
	cmd.Dir = repo
	cmd.Stdin = bytes.NewReader(input)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the apps refuse a rendered environment:\n%s", out)
	}
	if got := strings.Count(string(out), "\nok ") + boolInt(strings.HasPrefix(string(out), "ok ")); got != len(workloads) {
		t.Fatalf("expected %d accepted workloads:\n%s", len(workloads), out)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// matchesWhole is the ingestor's topic rule: the pattern must match the whole topic name.
func matchesWhole(pattern, topic string) bool {
	re, err := regexp.Compile("^(?:" + pattern + ")$")
	return err == nil && re.MatchString(topic)
}
