package tools_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{filepath.Join(repo, "deploy/compose/compose.yaml")},
		cli.WithConsistency(true))
	if err != nil {
		t.Fatal(err)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("compose.yaml does not load: %v", err)
	}
	return project
}

func TestComposeStackIsComplete(t *testing.T) {
	p := loadCompose(t)
	for _, name := range []string{"mongo", "mongo-init", "kafka", "connect", "connect-init", "minio", "minio-bucket",
		"redis", "committer-1", "committer-2", "ingestor-1", "ingestor-2", "sample-writer"} {
		if _, err := p.GetService(name); err != nil {
			t.Errorf("service %s is missing", name)
		}
	}
	for name, s := range p.Services {
		if s.Build == nil && (strings.HasSuffix(s.Image, ":latest") || !strings.Contains(s.Image, ":")) {
			t.Errorf("%s: image %q is not pinned", name, s.Image)
		}
		for _, port := range s.Ports {
			if port.HostIP != "127.0.0.1" {
				t.Errorf("%s: port %s is published beyond localhost", name, port.Published)
			}
		}
	}
	if img := p.Services["minio"].Image; !strings.Contains(img, ":RELEASE.") {
		t.Errorf("MinIO must be pinned by RELEASE tag, got %s", img)
	}
	if img := p.Services["connect"].Image; img != "quay.io/debezium/connect:3.6.1.Final" {
		t.Errorf("connect image %s", img)
	}
	for _, name := range []string{"committer-1", "committer-2"} {
		s := p.Services[name]
		if s.Build == nil || s.Build.Dockerfile != "apps/committer/Dockerfile" {
			t.Errorf("%s must build apps/committer/Dockerfile", name)
		}
	}
	if p.Services["committer-1"].Environment["COMMITTER_ADVERTISED_ADDRESS"] == p.Services["committer-2"].Environment["COMMITTER_ADVERTISED_ADDRESS"] {
		t.Error("the two committers advertise the same address")
	}
}

// Every variable a Delta Writer service sets belongs to its app's schema, the two apps agree on what they share,
// and the apps' own loaders accept each service's environment.
func TestComposeAppEnvironments(t *testing.T) {
	p := loadCompose(t)
	vars := loadVariables(t)
	var workloads []Workload
	for name, s := range p.Services {
		app := ""
		switch {
		case strings.HasPrefix(name, "committer-"):
			app = "committer"
		case strings.HasPrefix(name, "ingestor-"):
			app = "ingestor"
		default:
			continue
		}
		known := vars.all(app)
		env := map[string]string{}
		for k, v := range s.Environment {
			if !known[k] {
				t.Errorf("%s: %s is not a variable of the %s", name, k, app)
			}
			if v != nil {
				env[k] = *v
			}
		}
		workloads = append(workloads, Workload{Name: "compose " + name, App: app, Env: env})
	}
	if len(workloads) != 4 {
		t.Fatalf("expected 2 committers and 2 ingestors, got %d app services", len(workloads))
	}
	c, i := p.Services["committer-1"].Environment, p.Services["ingestor-1"].Environment
	for _, shared := range []string{"COMMITTER_TOKEN", "MINIO_BUCKET", "MINIO_ENDPOINT", "DELTA_TABLE_BASE_PATH"} {
		if *c[shared] != *i[shared] {
			t.Errorf("%s differs between committer and ingestor", shared)
		}
	}
	for _, addr := range strings.Split(*i["COMMITTER_ADDRESSES"], ",") {
		found := false
		for _, name := range []string{"committer-1", "committer-2"} {
			found = found || *p.Services[name].Environment["COMMITTER_ADVERTISED_ADDRESS"] == addr
		}
		if !found {
			t.Errorf("ingestors dial %s, which no committer advertises", addr)
		}
	}
	checkWithApps(t, workloads)
}

// The Debezium connector registered by connect-init captures the database the sample writer changes, into
// topics the ingestors subscribe to.
func TestComposeConnectorMatchesThePipeline(t *testing.T) {
	p := loadCompose(t)
	raw, err := os.ReadFile(filepath.Join(repo, "deploy/compose/connect/mongodb-source.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]string
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatalf("connector config: %v", err)
	}
	if cfg["connector.class"] != "io.debezium.connector.mongodb.MongoDbConnector" {
		t.Errorf("connector class %s", cfg["connector.class"])
	}
	if !strings.Contains(cfg["mongodb.connection.string"], "mongo:27017") || !strings.Contains(cfg["mongodb.connection.string"], "replicaSet=rs0") {
		t.Errorf("connection string %s does not name the compose replica set", cfg["mongodb.connection.string"])
	}
	pattern := *p.Services["ingestor-1"].Environment["KAFKA_TOPIC_PATTERN"]
	topic := cfg["topic.prefix"] + "." + cfg["database.include.list"] + ".orders"
	if !matchesWhole(pattern, topic) {
		t.Errorf("ingestors' KAFKA_TOPIC_PATTERN %q does not match %s", pattern, topic)
	}
	writer, err := os.ReadFile(filepath.Join(repo, "deploy/compose/sample-data/writer.js"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(writer), "getSiblingDB('"+cfg["database.include.list"]+"')") {
		t.Errorf("the sample writer does not write database %s", cfg["database.include.list"])
	}
}
