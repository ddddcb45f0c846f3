//! The run's secrets: a CA and a server certificate for 127.0.0.1 made at start (kubectl
//! sends a bearer token only over TLS), a random bearer token, and the kubeconfig that
//! carries both to kubectl.

use std::net::SocketAddr;

use base64::Engine;

use crate::ServeError;

/// A CA certificate and a server certificate it signed, with the server's key.
pub struct Identity {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

fn tls_err(e: rcgen::Error) -> ServeError {
    ServeError::Tls(e.to_string())
}

impl Identity {
    /// Makes a fresh CA and a server certificate for `127.0.0.1` and `localhost`. The CA
    /// key is dropped at once: nothing else can ever be signed with it.
    pub fn generate() -> Result<Identity, ServeError> {
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(tls_err)?;
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "aksbundle serve CA");
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let ca_key = rcgen::KeyPair::generate().map_err(tls_err)?;
        let ca = ca_params.self_signed(&ca_key).map_err(tls_err)?;
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_string()]).map_err(tls_err)?;
        params.subject_alt_names.push(rcgen::SanType::IpAddress(
            std::net::Ipv4Addr::LOCALHOST.into(),
        ));
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "aksbundle serve");
        let key = rcgen::KeyPair::generate().map_err(tls_err)?;
        let cert = params.signed_by(&key, &ca, &ca_key).map_err(tls_err)?;
        Ok(Identity {
            ca_pem: ca.pem(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

/// 32 random bytes from the operating system, as hex.
pub fn random_token() -> Result<String, ServeError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| ServeError::Tls(format!("no random bytes for the token: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The kubeconfig for `addr`. Names are fixed (`aksbundle`): nothing from the bundle goes in.
pub fn kubeconfig(addr: &SocketAddr, ca_pem: &str, token: &str) -> String {
    let ca = base64::engine::general_purpose::STANDARD.encode(ca_pem);
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: aksbundle
  cluster:
    server: https://{addr}
    certificate-authority-data: {ca}
users:
- name: aksbundle
  user:
    token: \"{token}\"
contexts:
- name: aksbundle
  context:
    cluster: aksbundle
    user: aksbundle
current-context: aksbundle
"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_and_differ() {
        let (a, b) = (random_token().unwrap(), random_token().unwrap());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
