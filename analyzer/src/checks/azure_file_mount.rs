//! Azure Files mount failures (`FailedMount` with a CIFS or NFS mount of
//! `<account>.file.core.windows.net`, or a pod's volume path failing with `host is down`):
//! splits them by the error the kernel returned, and narrows the cause with the node and
//! the share's host name: `mount error(13)` is a wrong or rotated key, a storage firewall
//! or a private endpoint the nodes do not resolve; `mount error(2)` a missing share,
//! blocked port 445 or a FIPS node image; `host is down` a key changed under a mounted
//! share; `mount error(115)`/`(110)` port 445 not answering. Drops events of pods deleted since.

use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};

static HOST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)//(?P<host>(?P<account>[a-z0-9]{3,24})\.(?P<private>privatelink\.)?file\.core\.[a-z0-9.]+)/(?P<share>[A-Za-z0-9-]+)",
    )
    .expect("host regex")
});

static NFS_HOST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?P<host>(?P<account>[a-z0-9]{3,24})\.(?P<private>privatelink\.)?file\.core\.[a-z0-9.]+):/[a-z0-9]+/(?P<share>[A-Za-z0-9-]+)",
    )
    .expect("nfs host regex")
});

static ERROR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)mount error\((?P<code>\d+)\)").expect("mount error regex"));

/// The cause of one mount failure, from the message and whether the node runs a FIPS image.
pub fn classify(message: &str, node_fips: bool) -> &'static str {
    let lower = message.to_ascii_lowercase();
    if lower.contains("host is down") && !lower.contains("mount error(") {
        return "key_changed";
    }
    match ERROR
        .captures(message)
        .map(|c| c["code"].to_string())
        .as_deref()
    {
        Some("13") => "permission_denied",
        Some("2") if node_fips => "fips",
        Some("2") => "share_or_network",
        Some("115" | "110" | "112") => "port_445",
        _ if lower.contains("access denied by server") => "nfs_network_rules",
        _ => "other",
    }
}

/// The `azure_file_mount` check.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    hits.into_iter()
        .filter(|h| !super::storage::hit_pod_gone(inputs, h))
        .map(|mut h| {
            super::storage::add_pod_and_node_facts(inputs, &mut h);
            let message = h.facts.get("message").cloned().unwrap_or_default();
            let fips = h.facts.contains_key("node_fips");
            let cause = classify(&message, fips);
            h.facts.insert("cause".into(), cause.into());
            h.facts.insert(format!("cause_{cause}"), "true".into());
            if let Some(code) = ERROR.captures(&message) {
                h.facts
                    .insert("mount_error".into(), code["code"].to_string());
            }
            if let Some(c) = HOST
                .captures(&message)
                .or_else(|| NFS_HOST.captures(&message))
            {
                h.facts
                    .insert("host".into(), c["host"].to_ascii_lowercase());
                h.facts
                    .insert("account".into(), c["account"].to_ascii_lowercase());
                h.facts.insert("share".into(), c["share"].to_string());
                if c.name("private").is_some() {
                    h.facts.insert("private_endpoint".into(), "true".into());
                }
            }
            h
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_errors_split_into_causes() {
        let denied =
            "Output: mount error(13): Permission denied\nRefer to the mount.cifs(8) manual page";
        assert_eq!(classify(denied, false), "permission_denied");
        let missing = "Output: mount error(2): No such file or directory";
        assert_eq!(classify(missing, false), "share_or_network");
        assert_eq!(classify(missing, true), "fips");
        let down = "failed to stat \"/var/lib/kubelet/pods/x/volumes/kubernetes.io~csi/pvc-1/mount\": stat /var/lib/kubelet/pods/x/volumes/kubernetes.io~csi/pvc-1/mount: host is down";
        assert_eq!(classify(down, false), "key_changed");
        let timeout = "Output: mount error(115): Operation now in progress";
        assert_eq!(classify(timeout, false), "port_445");
        assert_eq!(classify("exit status 32", false), "other");
    }

    #[test]
    fn host_account_and_share_come_from_cifs_and_nfs_sources() {
        let cifs = "mount -t cifs -o <masked> //stshop01.privatelink.file.core.windows.net/uploads /var/lib/kubelet";
        let c = HOST.captures(cifs).unwrap();
        assert_eq!(&c["account"], "stshop01");
        assert_eq!(&c["share"], "uploads");
        assert!(c.name("private").is_some());
        let nfs = "mount -t nfs stnfs01.file.core.windows.net:/stnfs01/pvc-1a2b /var/lib/kubelet";
        let c = NFS_HOST.captures(nfs).unwrap();
        assert_eq!(&c["host"], "stnfs01.file.core.windows.net");
        assert_eq!(&c["share"], "pvc-1a2b");
    }
}
