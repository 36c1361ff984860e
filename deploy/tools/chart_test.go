package tools_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"

	"deltawriter.local/deploy/tools/kube"
)

// Every values file under ci/ is a scenario: it must render, decode strictly, and keep the invariants below.
func ciValuesFiles(t *testing.T) []string {
	entries, err := os.ReadDir(filepath.Join(repo, chartDir, "ci"))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".yaml") {
			files = append(files, e.Name())
		}
	}
	if len(files) < 3 {
		t.Fatalf("expected several ci/*.yaml scenarios, found %v", files)
	}
	return files
}

type rendered struct {
	deployments map[string]*appsv1.Deployment
	configMaps  map[string]map[string]string
	secret      map[string]string
	secretNames map[string]bool
	services    []*corev1.Service
	pdbs        []*policyv1.PodDisruptionBudget
	hpas        []*autoscalingv2.HorizontalPodAutoscaler
	scaled      []*kube.ScaledObject
	monitors    []*monitoringv1.ServiceMonitor
	rules       []*monitoringv1.PrometheusRule
}

func index(objects []kube.Object) rendered {
	r := rendered{deployments: map[string]*appsv1.Deployment{}, configMaps: map[string]map[string]string{},
		secret: map[string]string{}, secretNames: map[string]bool{}}
	for _, o := range objects {
		switch x := o.Obj.(type) {
		case *appsv1.Deployment:
			r.deployments[x.Spec.Template.Labels["app.kubernetes.io/component"]] = x
		case *corev1.ConfigMap:
			r.configMaps[x.Name] = x.Data
		case *corev1.Secret:
			r.secretNames[x.Name] = true
			for k, v := range x.StringData {
				r.secret[k] = v
			}
		case *corev1.Service:
			r.services = append(r.services, x)
		case *policyv1.PodDisruptionBudget:
			r.pdbs = append(r.pdbs, x)
		case *autoscalingv2.HorizontalPodAutoscaler:
			r.hpas = append(r.hpas, x)
		case *kube.ScaledObject:
			r.scaled = append(r.scaled, x)
		case *monitoringv1.ServiceMonitor:
			r.monitors = append(r.monitors, x)
		case *monitoringv1.PrometheusRule:
			r.rules = append(r.rules, x)
		}
	}
	return r
}

// Secrets of an existingSecret scenario: what such a Secret would hold.
var fakeExistingSecret = map[string]string{
	"REDIS_URL": "rediss://:pw@redis.example.com:6380/0", "COMMITTER_TOKEN": "existing-secret-token-0123456789",
	"KAFKA_SASL_USERNAME": "delta-writer", "KAFKA_SASL_PASSWORD": "kafka-password",
}

func TestChartScenariosRenderValidManifests(t *testing.T) {
	for _, file := range ciValuesFiles(t) {
		t.Run(file, func(t *testing.T) {
			r := index(render(t, file))
			for _, app := range []string{"committer", "ingestor"} {
				if r.deployments[app] == nil {
					t.Fatalf("no %s Deployment", app)
				}
			}
			checkDeployments(t, r)
			checkServices(t, r)
			checkScaling(t, r, readValues(t, file))
		})
	}
}

func container(t *testing.T, d *appsv1.Deployment) corev1.Container {
	t.Helper()
	if len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("%s: expected one container", d.Name)
	}
	return d.Spec.Template.Spec.Containers[0]
}

func portNamed(c corev1.Container, name string) int32 {
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	return -1
}

func checkDeployments(t *testing.T, r rendered) {
	secrets := r.secret
	if len(r.secretNames) == 0 {
		secrets = fakeExistingSecret
	}
	for app, d := range r.deployments {
		c := container(t, d)
		pod := d.Spec.Template.Spec
		selector := labels.SelectorFromSet(d.Spec.Selector.MatchLabels)
		if !selector.Matches(labels.Set(d.Spec.Template.Labels)) {
			t.Errorf("%s: selector does not match the pod labels", app)
		}
		env := containerEnv(c, r.configMaps, secrets)
		if got, want := strconv.Itoa(int(portNamed(c, "metrics"))), env["METRICS_PORT"]; got != want {
			t.Errorf("%s: metrics port %s but METRICS_PORT=%s", app, got, want)
		}
		wantReady := map[string]string{"committer": "/healthz", "ingestor": "/readyz"}[app]
		if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" || c.LivenessProbe.HTTPGet.Port.StrVal != "metrics" {
			t.Errorf("%s: liveness must GET /healthz on the metrics port", app)
		}
		if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet.Path != wantReady || c.ReadinessProbe.HTTPGet.Port.StrVal != "metrics" {
			t.Errorf("%s: readiness must GET %s on the metrics port", app, wantReady)
		}
		// the process gets its whole shutdown timeout before the kubelet kills it
		shutdownVar := map[string]string{"committer": "COMMITTER_SHUTDOWN_TIMEOUT_MS", "ingestor": "SHUTDOWN_TIMEOUT_MS"}[app]
		shutdownMs, _ := strconv.Atoi(firstNonEmpty(env[shutdownVar], loadVariablesOnce(t)[app].Defaults[shutdownVar]))
		if grace := pod.TerminationGracePeriodSeconds; grace == nil || *grace*1000 <= int64(shutdownMs)+2000 {
			t.Errorf("%s: terminationGracePeriodSeconds must exceed %s (%d ms) + 2 s", app, shutdownVar, shutdownMs)
		}
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("%s: container must be read-only and without privilege escalation", app)
		}
		if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
			t.Errorf("%s: pod must run as non-root", app)
		}
		if strings.HasSuffix(c.Image, ":latest") || !strings.Contains(c.Image, ":") && !strings.Contains(c.Image, "@") {
			t.Errorf("%s: image %q is not pinned", app, c.Image)
		}
		mem := c.Resources.Limits.Memory()
		if c.Resources.Requests.Memory().IsZero() || mem.IsZero() {
			t.Errorf("%s: memory request and limit are required", app)
		}
		if app == "ingestor" && mem.Cmp(resource.MustParse("512Mi")) > 0 {
			t.Errorf("ingestor: memory limit %s above the 512 MiB budget", mem)
		}
		// every ConfigMap and Secret the pod uses exists (or is the user's existingSecret)
		for _, from := range c.EnvFrom {
			if _, ok := r.configMaps[from.ConfigMapRef.Name]; !ok {
				t.Errorf("%s: ConfigMap %s is not rendered", app, from.ConfigMapRef.Name)
			}
		}
		if app == "committer" {
			if *d.Spec.Replicas < 2 {
				t.Errorf("committer: %d replicas, need a leader and a standby", *d.Spec.Replicas)
			}
			if env["COMMITTER_ADVERTISED_ADDRESS"] != "10.1.2.3:"+env["COMMITTER_GRPC_PORT"] {
				t.Errorf("committer: advertised address %q is not podIP:grpcPort", env["COMMITTER_ADVERTISED_ADDRESS"])
			}
			if len(c.Command) > 0 {
				// advertise: podDNS — the command exports the pod's DNS name, then runs the image's entrypoint
				script := strings.Join(c.Command, " ")
				want := ".data.pod.cluster.local:" + env["COMMITTER_GRPC_PORT"]
				if !strings.Contains(script, `tr .: --`) || !strings.Contains(script, want) || !strings.HasSuffix(script, "exec node /app/dist/main.js") {
					t.Errorf("committer: command %q does not advertise <dashed ip>%s", script, want)
				}
			}
			if strconv.Itoa(int(portNamed(c, "grpc"))) != env["COMMITTER_GRPC_PORT"] {
				t.Errorf("committer: grpc port and COMMITTER_GRPC_PORT differ")
			}
		}
	}
}

var variablesCache Variables

func loadVariablesOnce(t *testing.T) Variables {
	if variablesCache == nil {
		variablesCache = loadVariables(t)
	}
	return variablesCache
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

func checkServices(t *testing.T, r rendered) {
	for _, s := range r.services {
		matched := false
		for _, d := range r.deployments {
			if labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) {
				matched = true
				c := container(t, d)
				for _, p := range s.Spec.Ports {
					if portNamed(c, p.TargetPort.StrVal) < 0 {
						t.Errorf("Service %s: target port %q is not a container port", s.Name, p.TargetPort.StrVal)
					}
				}
			}
		}
		if !matched {
			t.Errorf("Service %s selects no pod", s.Name)
		}
	}
	for _, p := range r.pdbs {
		if p.Spec.UnhealthyPodEvictionPolicy == nil || *p.Spec.UnhealthyPodEvictionPolicy != policyv1.AlwaysAllow {
			t.Errorf("PDB %s: unready pods must stay evictable", p.Name)
		}
	}
	for _, rule := range r.rules {
		for _, g := range rule.Spec.Groups {
			for _, a := range g.Rules {
				if !strings.Contains(a.Expr.String(), `namespace="data"`) || strings.Contains(a.Expr.String(), "__RELEASE_NAMESPACE__") {
					t.Errorf("alert %s is not scoped to the release namespace: %s", a.Alert, a.Expr.String())
				}
			}
		}
	}
	for _, m := range r.monitors {
		for _, e := range m.Spec.Endpoints {
			if e.Port != "metrics" || e.Path != "/metrics" {
				t.Errorf("ServiceMonitor %s scrapes %s%s", m.Name, e.Port, e.Path)
			}
		}
	}
}

func checkScaling(t *testing.T, r rendered, values map[string]any) {
	keda, _ := lookup(values, "ingestor", "keda")["enabled"].(bool)
	autoscaling := lookup(values, "ingestor", "autoscaling")
	hpaOn := true
	if v, ok := autoscaling["enabled"].(bool); ok {
		hpaOn = v
	}
	wantHPA := hpaOn && !keda
	if got := len(r.hpas) == 1; got != wantHPA {
		t.Errorf("HPA rendered=%v, want %v (KEDA %v)", got, wantHPA, keda)
	}
	if got := len(r.scaled) == 1; got != keda {
		t.Errorf("ScaledObject rendered=%v, want %v", got, keda)
	}
	target := r.deployments["ingestor"].Name
	for _, h := range r.hpas {
		if h.Spec.ScaleTargetRef.Name != target {
			t.Errorf("HPA targets %s", h.Spec.ScaleTargetRef.Name)
		}
	}
	for _, s := range r.scaled {
		if s.Spec.ScaleTargetRef.Name != target {
			t.Errorf("ScaledObject targets %s", s.Spec.ScaleTargetRef.Name)
		}
	}
	if (wantHPA || keda) && r.deployments["ingestor"].Spec.Replicas != nil {
		t.Errorf("ingestor replicas must be left to the autoscaler")
	}
}

// With every option on (ci/full-values.yaml), each variable of each app reaches its container: config values in
// its ConfigMap, credentials from the Secret, the rest set by the chart — and no credential sits in a ConfigMap.
func TestChartWiresEveryVariable(t *testing.T) {
	vars := loadVariables(t)
	for _, file := range []string{"full-values.yaml", "prometheus-keda-values.yaml"} {
		t.Run(file, func(t *testing.T) {
			r := index(render(t, file))
			values := readValues(t, file)
			full := file == "full-values.yaml"
			for _, app := range []string{"committer", "ingestor"} {
				c := container(t, r.deployments[app])
				envNames := map[string]corev1.EnvVar{}
				for _, e := range c.Env {
					envNames[e.Name] = e
				}
				cm := map[string]string{}
				for _, from := range c.EnvFrom {
					cm = r.configMaps[from.ConfigMapRef.Name]
				}
				configured := map[string]any{}
				for k, v := range lookup(values, "config", "shared") {
					configured[k] = v
				}
				for k, v := range lookup(values, "config", app) {
					configured[k] = v
				}
				for _, name := range vars[app].Config {
					if v, ok := configured[name]; ok && cm[name] != asEnvString(v) {
						t.Errorf("%s: %s=%v configured but ConfigMap has %q", app, name, v, cm[name])
					}
				}
				for _, name := range vars[app].Secret {
					e, ok := envNames[name]
					if !ok || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.ValueFrom.SecretKeyRef.Key != name {
						t.Errorf("%s: secret %s is not read from the Secret", app, name)
					}
					if _, inCM := cm[name]; inCM {
						t.Errorf("%s: secret %s is in a ConfigMap", app, name)
					}
				}
				if full {
					for _, name := range vars[app].Managed {
						if _, ok := envNames[name]; !ok {
							t.Errorf("%s: %s is not set by the chart", app, name)
						}
					}
				}
				// nothing outside the schema's variables (plus the chart's own helpers) is set
				known := vars.all(app)
				for name := range envNames {
					if !known[name] && name != "POD_IP" && !strings.HasPrefix(name, "AWS_") && name != "NODE_OPTIONS" {
						t.Errorf("%s: %s is not a variable of the app", app, name)
					}
				}
				for name := range cm {
					if !known[name] {
						t.Errorf("%s: ConfigMap key %s is not a variable of the app", app, name)
					}
				}
			}
		})
	}
}

// The apps' own configuration loaders accept what every scenario renders.
func TestChartEnvironmentsAreAcceptedByTheApps(t *testing.T) {
	var workloads []Workload
	for _, file := range ciValuesFiles(t) {
		r := index(render(t, file))
		secrets := r.secret
		if len(r.secretNames) == 0 {
			secrets = fakeExistingSecret
		}
		for _, app := range []string{"committer", "ingestor"} {
			env := containerEnv(container(t, r.deployments[app]), r.configMaps, secrets)
			workloads = append(workloads, Workload{Name: fmt.Sprintf("%s %s", file, app), App: app, Env: env})
		}
	}
	checkWithApps(t, workloads)
}

// Secure by default: a release without a given token still gets one (the committer refuses to start without
// authentication), two renders never share a generated token, and the NetworkPolicy is on unless switched off.
func TestChartIsSecureByDefault(t *testing.T) {
	for _, file := range ciValuesFiles(t) {
		t.Run(file, func(t *testing.T) {
			values := readValues(t, file)
			objects := render(t, file)
			r := index(objects)
			if existing, _ := lookup(values, "secrets")["existingSecret"].(string); existing == "" {
				if token := r.secret["COMMITTER_TOKEN"]; len(token) < 16 {
					t.Errorf("the Secret has no COMMITTER_TOKEN of at least 16 characters (%d)", len(token))
				}
				given, _ := lookup(values, "secrets", "values")["COMMITTER_TOKEN"].(string)
				if given == "" && index(render(t, file)).secret["COMMITTER_TOKEN"] == r.secret["COMMITTER_TOKEN"] {
					t.Errorf("two renders generated the same token")
				}
				if given != "" && r.secret["COMMITTER_TOKEN"] != given {
					t.Errorf("the given COMMITTER_TOKEN was not used")
				}
			}
			policies := 0
			for _, o := range objects {
				if _, ok := o.Obj.(*networkingv1.NetworkPolicy); ok {
					policies++
				}
			}
			enabled := true
			if np := lookup(values, "networkPolicy"); np != nil {
				if e, ok := np["enabled"].(bool); ok {
					enabled = e
				}
			}
			if enabled && policies != 2 {
				t.Errorf("networkPolicy on: %d NetworkPolicies rendered, want 2", policies)
			}
		})
	}
}
