//! The second wave's kinds reach the index: every namespaced and cluster-scoped file of
//! `aksbundle/v1`, the named ConfigMaps, troubleshoot's folders and files for the same
//! kinds, and bad items skipped with a line naming the file.

use std::fs;
use std::path::Path;

use analyzer::layout::{ClusterKind, ObjectKind};
use analyzer::limits::Limits;
use analyzer::reader::read_bundle;
use analyzer::scan::ScanPlan;

fn write(root: &Path, rel: &str, body: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, body).unwrap();
}

fn list(api: &str, kind: &str, items: &str) -> String {
    format!(r#"{{"apiVersion":"v1","kind":"List","metadata":{{"resourceVersion":""}},"items":[{items}]}}"#)
        .replace("__API__", api)
        .replace("__KIND__", kind)
}

/// One realistic item per kind, as `kubectl get -o json` prints them.
fn item(kind: ObjectKind, ns: &str) -> String {
    let meta = |name: &str| {
        format!(
            r#""metadata":{{"name":"{name}","namespace":"{ns}","uid":"0d9f2c1e-6b7a-4c3e-9e1f-2a3b4c5d6e7f","creationTimestamp":"2026-11-20T08:00:00Z"}}"#
        )
    };
    match kind {
        ObjectKind::Pods => format!(
            r#"{{"apiVersion":"v1","kind":"Pod",{},"spec":{{"nodeName":"aks-nodepool1-12345678-vmss000000","containers":[{{"name":"web","image":"shopacr.azurecr.io/web:1.4.2"}}],"volumes":[{{"name":"data","persistentVolumeClaim":{{"claimName":"data-web-0"}}}}]}},"status":{{"phase":"Pending"}}}}"#,
            meta("web-0")
        ),
        ObjectKind::Deployments => format!(
            r#"{{"apiVersion":"apps/v1","kind":"Deployment",{},"spec":{{"replicas":3,"selector":{{"matchLabels":{{"app":"web"}}}},"template":{{"metadata":{{"labels":{{"app":"web"}}}},"spec":{{"containers":[{{"name":"web","image":"shopacr.azurecr.io/web:1.4.2","env":[{{"name":"LOG_LEVEL","value":"info"}}]}}]}}}},"progressDeadlineSeconds":600}},"status":{{"observedGeneration":4,"replicas":3,"updatedReplicas":1,"readyReplicas":2,"availableReplicas":2,"unavailableReplicas":1,"conditions":[{{"type":"Available","status":"True","reason":"MinimumReplicasAvailable"}},{{"type":"Progressing","status":"False","reason":"ProgressDeadlineExceeded","message":"ReplicaSet \"web-7c9d8f6b5\" has timed out progressing."}}]}}}}"#,
            meta("web")
        ),
        ObjectKind::ReplicaSets => format!(
            r#"{{"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{{"name":"web-7c9d8f6b5","namespace":"{ns}","ownerReferences":[{{"apiVersion":"apps/v1","kind":"Deployment","name":"web","uid":"1","controller":true}}]}},"spec":{{"replicas":1}},"status":{{"replicas":0,"conditions":[{{"type":"ReplicaFailure","status":"True","reason":"FailedCreate","message":"pods \"web-7c9d8f6b5-\" is forbidden: exceeded quota: compute"}}]}}}}"#
        ),
        ObjectKind::StatefulSets => format!(
            r#"{{"apiVersion":"apps/v1","kind":"StatefulSet",{},"spec":{{"replicas":1,"serviceName":"db","volumeClaimTemplates":[{{"metadata":{{"name":"data"}},"spec":{{"accessModes":["ReadWriteOnce"],"storageClassName":"managed-csi","resources":{{"requests":{{"storage":"8Gi"}}}}}}}}]}},"status":{{"replicas":1,"readyReplicas":0}}}}"#,
            meta("db")
        ),
        ObjectKind::DaemonSets => format!(
            r#"{{"apiVersion":"apps/v1","kind":"DaemonSet",{},"spec":{{}},"status":{{"desiredNumberScheduled":3,"currentNumberScheduled":3,"numberReady":2,"numberUnavailable":1,"numberMisscheduled":0}}}}"#,
            meta("agent")
        ),
        ObjectKind::CronJobs => format!(
            r#"{{"apiVersion":"batch/v1","kind":"CronJob",{},"spec":{{"schedule":"*/5 * * * *","concurrencyPolicy":"Forbid"}},"status":{{"lastScheduleTime":"2026-11-29T18:55:00Z"}}}}"#,
            meta("report")
        ),
        ObjectKind::PersistentVolumeClaims => format!(
            r#"{{"apiVersion":"v1","kind":"PersistentVolumeClaim",{},"spec":{{"accessModes":["ReadWriteOnce"],"storageClassName":"managed-csi","resources":{{"requests":{{"storage":"8Gi"}}}},"volumeName":"pvc-5b1f9a2c-8d3e-4f6a-9b7c-1d2e3f4a5b6c","volumeMode":"Filesystem"}},"status":{{"phase":"Bound","capacity":{{"storage":"8Gi"}}}}}}"#,
            meta("data-web-0")
        ),
        ObjectKind::HorizontalPodAutoscalers => format!(
            r#"{{"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler",{},"spec":{{"scaleTargetRef":{{"apiVersion":"apps/v1","kind":"Deployment","name":"web"}},"minReplicas":2,"maxReplicas":10,"metrics":[{{"type":"Resource","resource":{{"name":"cpu","target":{{"type":"Utilization","averageUtilization":70}}}}}}]}},"status":{{"currentReplicas":3,"desiredReplicas":3,"currentMetrics":null,"conditions":[{{"type":"AbleToScale","status":"True","reason":"SucceededGetScale"}},{{"type":"ScalingActive","status":"False","reason":"FailedGetResourceMetric","message":"the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the server is currently unable to handle the request (get pods.metrics.k8s.io)"}}]}}}}"#,
            meta("web")
        ),
        ObjectKind::PodDisruptionBudgets => format!(
            r#"{{"apiVersion":"policy/v1","kind":"PodDisruptionBudget",{},"spec":{{"minAvailable":"100%","selector":{{"matchLabels":{{"app":"web"}}}}}},"status":{{"currentHealthy":3,"desiredHealthy":3,"disruptionsAllowed":0,"expectedPods":3}}}}"#,
            meta("web")
        ),
        ObjectKind::ResourceQuotas => format!(
            r#"{{"apiVersion":"v1","kind":"ResourceQuota",{},"spec":{{"hard":{{"requests.cpu":"4","pods":"20"}}}},"status":{{"hard":{{"requests.cpu":"4","pods":"20"}},"used":{{"requests.cpu":"3800m","pods":"12"}}}}}}"#,
            meta("compute")
        ),
        ObjectKind::LimitRanges => format!(
            r#"{{"apiVersion":"v1","kind":"LimitRange",{},"spec":{{"limits":[{{"type":"Container","default":{{"cpu":"500m"}}}}]}}}}"#,
            meta("defaults")
        ),
        ObjectKind::Ingresses => format!(
            r#"{{"apiVersion":"networking.k8s.io/v1","kind":"Ingress",{},"spec":{{"ingressClassName":"webapprouting.kubernetes.azure.com","rules":[{{"host":"shop.contoso.com","http":{{"paths":[{{"path":"/","pathType":"Prefix","backend":{{"service":{{"name":"web","port":{{"number":80}}}}}}}}]}}}}],"tls":[{{"hosts":["shop.contoso.com"],"secretName":"shop-tls"}}]}},"status":{{"loadBalancer":{{"ingress":[{{"ip":"20.61.1.10"}}]}}}}}}"#,
            meta("web")
        ),
        ObjectKind::EndpointSlices => format!(
            r#"{{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{{"name":"web-x7k2p","namespace":"{ns}","labels":{{"kubernetes.io/service-name":"web"}}}},"addressType":"IPv4","endpoints":[{{"addresses":["10.244.1.17"],"conditions":{{"ready":false,"serving":false,"terminating":false}},"nodeName":"aks-nodepool1-12345678-vmss000000","targetRef":{{"kind":"Pod","name":"web-0","namespace":"{ns}"}}}}],"ports":[{{"name":"http","port":8080,"protocol":"TCP"}}]}}"#
        ),
        // Kinds the first wave already read: an empty list is enough here.
        _ => String::new(),
    }
}

fn cluster_item(kind: ClusterKind) -> &'static str {
    match kind {
        ClusterKind::PersistentVolumes => {
            r#"{"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"pvc-5b1f9a2c-8d3e-4f6a-9b7c-1d2e3f4a5b6c"},"spec":{"capacity":{"storage":"8Gi"},"accessModes":["ReadWriteOnce"],"claimRef":{"kind":"PersistentVolumeClaim","namespace":"shop","name":"data-web-0"},"csi":{"driver":"disk.csi.azure.com","volumeHandle":"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/mc_shop_aks_westeurope/providers/Microsoft.Compute/disks/pvc-5b1f9a2c-8d3e-4f6a-9b7c-1d2e3f4a5b6c","volumeAttributes":{"skuname":"StandardSSD_LRS"}},"nodeAffinity":{"required":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"topology.disk.csi.azure.com/zone","operator":"In","values":["westeurope-1"]}]}]}},"persistentVolumeReclaimPolicy":"Delete","storageClassName":"managed-csi"},"status":{"phase":"Bound"}}"#
        }
        ClusterKind::StorageClasses => {
            r#"{"apiVersion":"storage.k8s.io/v1","kind":"StorageClass","metadata":{"name":"managed-csi","annotations":{"storageclass.kubernetes.io/is-default-class":"true"}},"provisioner":"disk.csi.azure.com","parameters":{"skuname":"StandardSSD_LRS"},"reclaimPolicy":"Delete","volumeBindingMode":"WaitForFirstConsumer","allowVolumeExpansion":true}"#
        }
        ClusterKind::VolumeAttachments => {
            r#"{"apiVersion":"storage.k8s.io/v1","kind":"VolumeAttachment","metadata":{"name":"csi-3c1f4e0a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e"},"spec":{"attacher":"disk.csi.azure.com","nodeName":"aks-nodepool1-12345678-vmss000000","source":{"persistentVolumeName":"pvc-5b1f9a2c-8d3e-4f6a-9b7c-1d2e3f4a5b6c"}},"status":{"attached":false,"attachError":{"time":"2026-11-29T18:58:11Z","message":"rpc error: code = Internal desc = Attach volume /subscriptions/.../disks/pvc-5b1f9a2c to instance aks-nodepool1-12345678-vmss000000 failed with Retriable: false, RetryAfter: 0s, HTTPStatusCode: 409, RawError: {\"error\":{\"code\":\"OperationNotAllowed\",\"message\":\"The maximum number of data disks allowed to be attached to a VM of this size is 4.\"}}"}}}"#
        }
        ClusterKind::CsiNodes => {
            r#"{"apiVersion":"storage.k8s.io/v1","kind":"CSINode","metadata":{"name":"aks-nodepool1-12345678-vmss000000"},"spec":{"drivers":[{"name":"disk.csi.azure.com","nodeID":"aks-nodepool1-12345678-vmss000000","allocatable":{"count":4},"topologyKeys":["topology.disk.csi.azure.com/zone"]},{"name":"file.csi.azure.com","nodeID":"aks-nodepool1-12345678-vmss000000","topologyKeys":null}]}}"#
        }
        ClusterKind::CsiDrivers => {
            r#"{"apiVersion":"storage.k8s.io/v1","kind":"CSIDriver","metadata":{"name":"disk.csi.azure.com"},"spec":{"attachRequired":true,"podInfoOnMount":false}}"#
        }
        ClusterKind::Namespaces => {
            r#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"old-shop","deletionTimestamp":"2026-11-28T10:00:00Z"},"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Terminating","conditions":[{"type":"NamespaceDeletionDiscoveryFailure","status":"True","reason":"DiscoveryFailed","message":"Discovery failed for some groups, 1 failing: unable to retrieve the complete list of server APIs: metrics.k8s.io/v1beta1: the server is currently unable to handle the request"}]}}"#
        }
        ClusterKind::ApiServices => {
            r#"{"apiVersion":"apiregistration.k8s.io/v1","kind":"APIService","metadata":{"name":"v1beta1.metrics.k8s.io"},"spec":{"group":"metrics.k8s.io","version":"v1beta1","service":{"namespace":"kube-system","name":"metrics-server","port":443},"insecureSkipTLSVerify":true},"status":{"conditions":[{"type":"Available","status":"False","reason":"FailedDiscoveryCheck","message":"failing or missing response from https://10.0.182.14:443/apis/metrics.k8s.io/v1beta1: Get \"https://10.0.182.14:443/apis/metrics.k8s.io/v1beta1\": dial tcp 10.0.182.14:443: i/o timeout"}]}}"#
        }
        ClusterKind::ValidatingWebhookConfigurations => {
            r#"{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingWebhookConfiguration","metadata":{"name":"gatekeeper-validating-webhook-configuration"},"webhooks":[{"name":"validation.gatekeeper.sh","admissionReviewVersions":["v1"],"clientConfig":{"caBundle":"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==","service":{"namespace":"gatekeeper-system","name":"gatekeeper-webhook-service","path":"/v1/admit","port":443}},"failurePolicy":"Ignore","timeoutSeconds":3,"sideEffects":"None","rules":[{"apiGroups":["*"],"apiVersions":["*"],"operations":["CREATE","UPDATE"],"resources":["*"]}]}]}"#
        }
        ClusterKind::MutatingWebhookConfigurations => {
            r#"{"apiVersion":"admissionregistration.k8s.io/v1","kind":"MutatingWebhookConfiguration","metadata":{"name":"aks-webhook-admission-controller"},"webhooks":[{"name":"aks-webhook-admission-controller.azmk8s.io","clientConfig":{"url":"https://aks-webhook-admission-controller.kube-system.svc:443/mutate"},"failurePolicy":"Ignore","sideEffects":"None"}]}"#
        }
        ClusterKind::ValidatingAdmissionPolicies => {
            r#"{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicy","metadata":{"name":"replica-limit"},"spec":{"failurePolicy":"Fail","validations":[{"expression":"object.spec.replicas <= 5"}]}}"#
        }
        ClusterKind::ValidatingAdmissionPolicyBindings => {
            r#"{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicyBinding","metadata":{"name":"replica-limit-binding"},"spec":{"policyName":"replica-limit","validationActions":["Deny"]}}"#
        }
        ClusterKind::IngressClasses => {
            r#"{"apiVersion":"networking.k8s.io/v1","kind":"IngressClass","metadata":{"name":"webapprouting.kubernetes.azure.com","annotations":{"ingressclass.kubernetes.io/is-default-class":"true"}},"spec":{"controller":"webapprouting.kubernetes.azure.com/nginx"}}"#
        }
        ClusterKind::PriorityClasses => {
            r#"{"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass","metadata":{"name":"system-node-critical"},"value":2000001000,"preemptionPolicy":"PreemptLowerPriority"}"#
        }
        ClusterKind::FlowSchemas => {
            r#"{"apiVersion":"flowcontrol.apiserver.k8s.io/v1","kind":"FlowSchema","metadata":{"name":"catch-all"},"spec":{"matchingPrecedence":10000,"priorityLevelConfiguration":{"name":"catch-all"},"rules":[]},"status":{"conditions":[{"type":"Dangling","status":"False","reason":"Found"}]}}"#
        }
        ClusterKind::PriorityLevelConfigurations => {
            r#"{"apiVersion":"flowcontrol.apiserver.k8s.io/v1","kind":"PriorityLevelConfiguration","metadata":{"name":"catch-all"},"spec":{"type":"Limited","limited":{"nominalConcurrencyShares":5}}}"#
        }
    }
}

fn read(root: &Path) -> analyzer::reader::ReadOutcome {
    read_bundle(root, &Limits::default(), &ScanPlan::empty()).expect("bundle reads")
}

const MANIFEST: &str = r#"{"format":"aksbundle/v1","collected_at":"2026-11-29T19:00:00Z","collector":{"name":"aksbundle","version":"0.2.0"},"errors":[]}"#;

#[test]
fn every_new_kind_of_v1_reaches_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "manifest.json", MANIFEST);
    for (kind, file) in ObjectKind::ALL {
        write(
            root,
            &format!("namespaces/shop/{file}"),
            &list("", "", &item(*kind, "shop")),
        );
    }
    for (kind, plural, ..) in ClusterKind::ALL {
        write(
            root,
            &format!("cluster/{plural}.json"),
            &list("", "", cluster_item(*kind)),
        );
    }
    write(
        root,
        "namespaces/kube-system/configmaps/coredns-custom.json",
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"coredns-custom","namespace":"kube-system"},"data":{"contoso.server":"contoso.com:53 {\n    forward . 10.10.0.4\n}\n"}}"#,
    );
    let out = read(root);
    assert!(out.issues.is_empty(), "{:?}", out.issues);
    let index = &out.index;
    let counts = index.counts();
    for (kind, _) in ObjectKind::ALL {
        assert!(
            counts.contains_key(kind.plural()),
            "{} not counted: {counts:?}",
            kind.plural()
        );
    }
    for (kind, plural, ..) in ClusterKind::ALL {
        assert_eq!(counts.get(*plural), Some(&1), "{kind:?}");
    }
    assert_eq!(counts.get("configmaps"), Some(&1));

    let (ns, d) = index.deployments().next().unwrap();
    assert_eq!(
        (ns, d.metadata.name.as_str(), d.desired()),
        ("shop", "web", 3)
    );
    assert_eq!(
        d.condition("Progressing").unwrap().reason.as_deref(),
        Some("ProgressDeadlineExceeded")
    );
    assert_eq!(d.spec.template.spec.containers[0].env[0].name, "LOG_LEVEL");
    let (_, rs) = index.replica_sets().next().unwrap();
    assert_eq!(rs.metadata.owner_references[0].kind, "Deployment");
    let (_, sts) = index.stateful_sets().next().unwrap();
    assert_eq!(
        sts.spec.volume_claim_templates[0]
            .spec
            .storage_class_name
            .as_deref(),
        Some("managed-csi")
    );
    let (_, ds) = index.daemon_sets().next().unwrap();
    assert_eq!(ds.status.number_unavailable, Some(1));
    assert_eq!(
        index.cron_jobs().next().unwrap().1.spec.schedule,
        "*/5 * * * *"
    );
    let (_, pvc) = index.pvcs().next().unwrap();
    assert_eq!(pvc.status.phase.as_deref(), Some("Bound"));
    let (_, hpa) = index.hpas().next().unwrap();
    assert_eq!(hpa.spec.scale_target_ref.name, "web");
    assert!(hpa
        .status
        .conditions
        .iter()
        .any(|c| c.reason.as_deref() == Some("FailedGetResourceMetric")));
    let (_, pdb) = index.pdbs().next().unwrap();
    assert_eq!(pdb.status.disruptions_allowed, Some(0));
    assert_eq!(
        pdb.spec
            .min_available
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("100%")
    );
    let (_, q) = index.resource_quotas().next().unwrap();
    assert_eq!(
        q.status.used.get("requests.cpu").and_then(|v| v.as_str()),
        Some("3800m")
    );
    assert_eq!(index.limit_ranges().count(), 1);
    let (_, ing) = index.ingresses().next().unwrap();
    let backend = &ing.spec.rules[0].http.as_ref().unwrap().paths[0].backend;
    assert_eq!(
        backend
            .service_and_port()
            .map(|(s, p)| (s.to_string(), p.map(|p| p.to_string()))),
        Some(("web".into(), Some("80".into())))
    );
    let (_, slice) = index.endpoint_slices().next().unwrap();
    assert_eq!(slice.service_name(), Some("web"));
    assert_eq!(slice.endpoints[0].conditions.ready, Some(false));

    let pv = index
        .cluster_list(|c| &c.persistent_volumes)
        .next()
        .unwrap();
    assert_eq!(pv.spec.csi.as_ref().unwrap().driver, "disk.csi.azure.com");
    assert!(index
        .cluster_list(|c| &c.storage_classes)
        .next()
        .unwrap()
        .is_default());
    let va = index
        .cluster_list(|c| &c.volume_attachments)
        .next()
        .unwrap();
    assert!(va
        .status
        .attach_error
        .as_ref()
        .unwrap()
        .message
        .as_deref()
        .unwrap()
        .contains("maximum number of data disks"));
    let csinode = index.cluster_list(|c| &c.csi_nodes).next().unwrap();
    assert_eq!(
        csinode.spec.drivers[0]
            .allocatable
            .as_ref()
            .and_then(|a| a.count),
        Some(4)
    );
    let ns = index.cluster_list(|c| &c.namespaces).next().unwrap();
    assert!(ns.metadata.deletion_timestamp.is_some());
    let api = index.cluster_list(|c| &c.api_services).next().unwrap();
    assert_eq!(api.spec.service.as_ref().unwrap().name, "metrics-server");
    let hook = &index
        .cluster_list(|c| &c.validating_webhooks)
        .next()
        .unwrap()
        .webhooks[0];
    assert_eq!(
        hook.client_config.service.as_ref().unwrap().namespace,
        "gatekeeper-system"
    );
    let mhook = &index
        .cluster_list(|c| &c.mutating_webhooks)
        .next()
        .unwrap()
        .webhooks[0];
    assert!(mhook.client_config.url.is_some());
    assert!(index
        .cluster_list(|c| &c.ingress_classes)
        .next()
        .unwrap()
        .is_default());
    assert_eq!(
        index
            .cluster_list(|c| &c.priority_classes)
            .next()
            .unwrap()
            .value,
        2000001000
    );
    assert_eq!(
        index
            .cluster_list(|c| &c.flow_schemas)
            .next()
            .unwrap()
            .spec
            .priority_level_configuration
            .name,
        "catch-all"
    );
    assert!(index
        .config_map("kube-system", "coredns-custom")
        .unwrap()
        .data["contoso.server"]
        .contains("10.10.0.4"));
    assert_eq!(
        index.cluster_file(ClusterKind::ApiServices),
        "cluster/apiservices.json"
    );
    assert!(index.has(analyzer::index::Input::VolumeAttachments));
    assert!(!index.has(analyzer::index::Input::Nnc));
}

#[test]
fn a_bad_item_of_a_new_kind_is_skipped_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "manifest.json", MANIFEST);
    write(
        root,
        "namespaces/shop/deployments.json",
        &list(
            "",
            "",
            &format!(
                r#"{},{{"metadata":{{"name":["not","a","string"]}}}}"#,
                item(ObjectKind::Deployments, "shop")
            ),
        ),
    );
    write(
        root,
        "cluster/volumeattachments.json",
        "{\"items\": [ truncated",
    );
    let out = read(root);
    assert_eq!(out.index.deployments().count(), 1, "the good item stays");
    let lines: Vec<String> = out
        .issues
        .iter()
        .map(|i| format!("{}: {}", i.file, i.message))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("namespaces/shop/deployments.json")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("cluster/volumeattachments.json")),
        "{lines:?}"
    );
    assert!(
        !out.index.has(analyzer::index::Input::VolumeAttachments),
        "an unreadable file is not read"
    );
}

#[test]
fn troubleshoot_folders_fill_the_same_kinds_and_only_named_config_maps_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "version.yaml", "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  versionNumber: v0.107.1\n");
    write(
        root,
        "cluster-resources/deployments/shop.json",
        &list("", "", &item(ObjectKind::Deployments, "shop")),
    );
    write(
        root,
        "cluster-resources/pvcs/shop.json",
        &list("", "", &item(ObjectKind::PersistentVolumeClaims, "shop")),
    );
    write(
        root,
        "cluster-resources/pod-disruption-budgets/shop.json",
        &list("", "", &item(ObjectKind::PodDisruptionBudgets, "shop")),
    );
    write(
        root,
        "cluster-resources/resource-quota/shop.json",
        &list("", "", &item(ObjectKind::ResourceQuotas, "shop")),
    );
    write(
        root,
        "cluster-resources/pvs.json",
        &list("", "", cluster_item(ClusterKind::PersistentVolumes)),
    );
    write(
        root,
        "cluster-resources/storage-classes.json",
        &list("", "", cluster_item(ClusterKind::StorageClasses)),
    );
    write(
        root,
        "cluster-resources/validating-webhook-configurations.json",
        &list(
            "",
            "",
            cluster_item(ClusterKind::ValidatingWebhookConfigurations),
        ),
    );
    // troubleshoot keeps every ConfigMap of a namespace in one list: only the named are read.
    write(
        root,
        "cluster-resources/configmaps/kube-system.json",
        r#"{"kind":"ConfigMapList","apiVersion":"v1","items":[
            {"metadata":{"name":"coredns","namespace":"kube-system"},"data":{"Corefile":".:53 {\n    errors\n    forward . /etc/resolv.conf\n}\n"}},
            {"metadata":{"name":"kube-root-ca.crt","namespace":"kube-system"},"data":{"ca.crt":"-----BEGIN CERTIFICATE-----"}}]}"#,
    );
    let out = read(root);
    assert!(out.issues.is_empty(), "{:?}", out.issues);
    let i = &out.index;
    assert_eq!(i.deployments().count(), 1);
    assert_eq!(i.pvcs().count(), 1);
    assert_eq!(i.pdbs().count(), 1);
    assert_eq!(i.resource_quotas().count(), 1);
    assert_eq!(i.cluster_list(|c| &c.persistent_volumes).count(), 1);
    assert_eq!(i.cluster_list(|c| &c.storage_classes).count(), 1);
    assert_eq!(i.cluster_list(|c| &c.validating_webhooks).count(), 1);
    assert!(i.config_map("kube-system", "coredns").is_some());
    assert!(i.config_map("kube-system", "kube-root-ca.crt").is_none());
    assert_eq!(
        i.object_file("shop", ObjectKind::PersistentVolumeClaims),
        "cluster-resources/pvcs/shop.json"
    );
    assert_eq!(
        i.cluster_file(ClusterKind::PersistentVolumes),
        "cluster-resources/pvs.json"
    );
    assert_eq!(
        i.config_map_file("kube-system", "coredns"),
        Some("cluster-resources/configmaps/kube-system.json")
    );
}

#[test]
fn node_logs_are_read_as_text_named_by_their_path() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "manifest.json", MANIFEST);
    let node = "aks-nodepool1-12345678-vmss000000";
    write(
        root,
        &format!("nodes/{node}/kubelet.log"),
        "Nov 29 18:52:01 aks-nodepool1-12345678-vmss000000 kubelet[3121]: I1129 18:52:01.112233    3121 kubelet.go:2412] \"Skipping pod synchronization\" err=\"PLEG is not healthy: pleg was last seen active 3m10.2s ago; threshold is 3m0s\"\n",
    );
    write(
        root,
        &format!("nodes/{node}/resolv.conf"),
        "nameserver 168.63.129.16\nsearch reddog.microsoft.com\n",
    );
    // Dates and disk use are JSON for people; not text to scan.
    write(root, &format!("nodes/{node}/certs.json"), "[]");
    let out = read(root);
    assert!(out.issues.is_empty(), "{:?}", out.issues);
    let names: Vec<&str> = out
        .index
        .text_files
        .iter()
        .map(|f| f.file.as_str())
        .collect();
    assert!(
        names.contains(&format!("nodes/{node}/kubelet.log").as_str()),
        "{names:?}"
    );
    assert!(
        names.contains(&format!("nodes/{node}/resolv.conf").as_str()),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n.ends_with("certs.json")),
        "{names:?}"
    );
    assert!(out.index.has(analyzer::index::Input::Attachments));
}
