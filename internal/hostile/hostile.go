// Package hostile builds the objects of hostile scenarios for benchmarks,
// tests and the load harness: inputs a tenant with ordinary rights can send
// to make every request cost as much as possible.
package hostile

import (
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AnnotationBytes is the size (keys plus values) of the annotations of
// Ingress: 250 KiB, just below the API server's limit of 256 KiB.
const AnnotationBytes = 250 << 10

// Ingress returns an Ingress whose annotations are AnnotationBytes of
// unknown ingress-nginx names (2,782 of them, 63 characters each: the
// longest name part a key may have), each a likely typo that
// ingress-annotation reports and looks a suggestion up for. The rest is
// an ordinary Ingress of class nginx with one host and path.
func Ingress(namespace, name string) *networkingv1.Ingress {
	const prefix = "nginx.ingress.kubernetes.io/"
	annotations := map[string]string{}
	for size, i := 0, 0; ; i++ {
		// 63 characters: a name part of a qualified key cannot be longer.
		key := prefix + fmt.Sprintf("proxy-connect-timeout-of-upstream-server-for-tenant-app-%07d", i)
		if size+len(key)+1 > AnnotationBytes {
			break
		}
		annotations[key] = "1"
		size += len(key) + 1
	}
	prefixPath := networkingv1.PathTypePrefix
	class := "nginx"
	return &networkingv1.Ingress{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"},
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Annotations: annotations},
		Spec: networkingv1.IngressSpec{
			IngressClassName: &class,
			Rules: []networkingv1.IngressRule{{
				Host: name + "." + namespace + ".example.com",
				IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
					Path: "/", PathType: &prefixPath,
					Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}}},
				}}}},
			}},
		},
	}
}
