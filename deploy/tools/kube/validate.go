// Package kube validates rendered Kubernetes manifests offline: every document is decoded strictly into the
// API types of the Kubernetes version this module pins (k8s.io/api), so unknown or misspelt fields, wrong types and
// malformed quantities fail — the checks a schema validator such as kubeconform makes, without downloading schemas.
// Custom resources: ServiceMonitor against the Prometheus Operator's Go types, KEDA's ScaledObject and
// TriggerAuthentication against the subset of their v1alpha1 fields this chart uses (KEDA's module is not light
// enough to import for two types).
package kube

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Object is one decoded manifest.
type Object struct {
	Kind string
	Name string
	Obj  any
}

var decoder runtime.Decoder

func init() {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		appsv1.AddToScheme, corev1.AddToScheme, policyv1.AddToScheme, autoscalingv2.AddToScheme,
		networkingv1.AddToScheme, monitoringv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
	decoder = serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
}

// ScaledObject is the part of keda.sh/v1alpha1 ScaledObject the chart renders.
type ScaledObject struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		ScaleTargetRef struct {
			Name string `json:"name"`
		} `json:"scaleTargetRef"`
		PollingInterval *int32 `json:"pollingInterval"`
		CooldownPeriod  *int32 `json:"cooldownPeriod"`
		MinReplicaCount *int32 `json:"minReplicaCount"`
		MaxReplicaCount *int32 `json:"maxReplicaCount"`
		Triggers        []struct {
			Type              string            `json:"type"`
			Metadata          map[string]string `json:"metadata"`
			AuthenticationRef *struct {
				Name string `json:"name"`
			} `json:"authenticationRef"`
		} `json:"triggers"`
	} `json:"spec"`
}

// TriggerAuthentication is the part of keda.sh/v1alpha1 TriggerAuthentication the chart renders.
type TriggerAuthentication struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		SecretTargetRef []struct {
			Parameter string `json:"parameter"`
			Name      string `json:"name"`
			Key       string `json:"key"`
		} `json:"secretTargetRef"`
	} `json:"spec"`
}

// Split returns the non-empty documents of a multi-document YAML stream.
func Split(stream []byte) ([][]byte, error) {
	reader := utilyaml.NewYAMLReader(bufioReader(stream))
	var docs [][]byte
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(stripComments(doc))) > 0 {
			docs = append(docs, doc)
		}
	}
}

// Decode strictly decodes every document; the error names each document that fails.
func Decode(stream []byte) ([]Object, error) {
	docs, err := Split(stream)
	if err != nil {
		return nil, err
	}
	var objects []Object
	var problems []string
	for i, doc := range docs {
		obj, err := decodeOne(doc)
		if err != nil {
			problems = append(problems, fmt.Sprintf("document %d (%s): %v", i+1, describe(doc), err))
			continue
		}
		objects = append(objects, obj)
	}
	if len(problems) > 0 {
		return objects, errors.New(strings.Join(problems, "\n"))
	}
	return objects, nil
}

func decodeOne(doc []byte) (Object, error) {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal(doc, &head); err != nil {
		return Object{}, err
	}
	if head.Kind == "" || head.APIVersion == "" || head.Metadata.Name == "" {
		return Object{}, errors.New("apiVersion, kind and metadata.name are required")
	}
	switch head.APIVersion + "/" + head.Kind {
	case "keda.sh/v1alpha1/ScaledObject":
		var so ScaledObject
		if err := yaml.UnmarshalStrict(doc, &so); err != nil {
			return Object{}, err
		}
		return Object{Kind: head.Kind, Name: head.Metadata.Name, Obj: &so}, nil
	case "keda.sh/v1alpha1/TriggerAuthentication":
		var ta TriggerAuthentication
		if err := yaml.UnmarshalStrict(doc, &ta); err != nil {
			return Object{}, err
		}
		return Object{Kind: head.Kind, Name: head.Metadata.Name, Obj: &ta}, nil
	}
	obj, _, err := decoder.Decode(doc, nil, nil)
	if err != nil {
		return Object{}, err
	}
	return Object{Kind: head.Kind, Name: head.Metadata.Name, Obj: obj}, nil
}

func describe(doc []byte) string {
	var head struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	_ = yaml.Unmarshal(doc, &head)
	return head.Kind + "/" + head.Metadata.Name
}

func stripComments(doc []byte) []byte {
	var out [][]byte
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimSpace(line), []byte("#")) {
			out = append(out, line)
		}
	}
	return bytes.Join(out, []byte("\n"))
}
