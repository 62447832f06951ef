package clustercache

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// The Ingress and binding informers keep compact records instead of
// Kubernetes objects: nothing looks them up in the store (the conflict
// index and the binding index answer every lookup), and a typed object's
// ObjectMeta alone costs about 250 bytes, most of the 1 KiB each cached
// object may take. A record holds the index's own entry (which the index
// keeps a pointer to, so the two share one allocation) plus the identity
// client-go reads: namespace and name (the store key) and resourceVersion
// (which tells a resync from an update).
//
// client-go reaches a record's identity through meta.Accessor, so records
// implement metav1.Object: readOnlyMeta answers the zero value for every
// field a record does not hold, and ignores writes (cached objects are
// never modified).

// readOnlyMeta implements metav1.Object for a record that overrides the
// getters of the fields it holds. It takes no memory.
type readOnlyMeta struct{}

var _ metav1.Object = readOnlyMeta{}

func (readOnlyMeta) GetNamespace() string                          { return "" }
func (readOnlyMeta) SetNamespace(string)                           {}
func (readOnlyMeta) GetName() string                               { return "" }
func (readOnlyMeta) SetName(string)                                {}
func (readOnlyMeta) GetGenerateName() string                       { return "" }
func (readOnlyMeta) SetGenerateName(string)                        {}
func (readOnlyMeta) GetUID() types.UID                             { return "" }
func (readOnlyMeta) SetUID(types.UID)                              {}
func (readOnlyMeta) GetResourceVersion() string                    { return "" }
func (readOnlyMeta) SetResourceVersion(string)                     {}
func (readOnlyMeta) GetGeneration() int64                          { return 0 }
func (readOnlyMeta) SetGeneration(int64)                           {}
func (readOnlyMeta) GetSelfLink() string                           { return "" }
func (readOnlyMeta) SetSelfLink(string)                            {}
func (readOnlyMeta) GetCreationTimestamp() metav1.Time             { return metav1.Time{} }
func (readOnlyMeta) SetCreationTimestamp(metav1.Time)              {}
func (readOnlyMeta) GetDeletionTimestamp() *metav1.Time            { return nil }
func (readOnlyMeta) SetDeletionTimestamp(*metav1.Time)             {}
func (readOnlyMeta) GetDeletionGracePeriodSeconds() *int64         { return nil }
func (readOnlyMeta) SetDeletionGracePeriodSeconds(*int64)          {}
func (readOnlyMeta) GetLabels() map[string]string                  { return nil }
func (readOnlyMeta) SetLabels(map[string]string)                   {}
func (readOnlyMeta) GetAnnotations() map[string]string             { return nil }
func (readOnlyMeta) SetAnnotations(map[string]string)              {}
func (readOnlyMeta) GetFinalizers() []string                       { return nil }
func (readOnlyMeta) SetFinalizers([]string)                        {}
func (readOnlyMeta) GetOwnerReferences() []metav1.OwnerReference   { return nil }
func (readOnlyMeta) SetOwnerReferences([]metav1.OwnerReference)    {}
func (readOnlyMeta) GetManagedFields() []metav1.ManagedFieldsEntry { return nil }
func (readOnlyMeta) SetManagedFields([]metav1.ManagedFieldsEntry)  {}
