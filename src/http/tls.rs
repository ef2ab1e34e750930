//! HTTPS: certificates from files, or obtained and renewed with ACME (rustls-acme), served
//! through one poem acceptor that does TLS handshakes off the accept loop.
//!
//! With ACME, the HTTPS listener also answers TLS-ALPN-01 challenges, the plain-HTTP listener
//! answers HTTP-01 challenges (and redirects everything else to HTTPS), and the certificate and
//! account are cached in `<data_dir>/acme` so a restart reuses them.

use std::{fmt, io, net::SocketAddr, path::Path, sync::Arc};

use anyhow::Context;
use futures_util::StreamExt;
use poem::{
    http::uri::Scheme,
    listener::Acceptor,
    web::{LocalAddr, RemoteAddr},
};
use rustls::{
    ClientConfig, RootCertStore, ServerConfig,
    pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject},
};
use rustls_acme::{AcmeConfig, AcmeState, ResolvesServerCertAcme, UseChallenge, caches::DirCache};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{LazyConfigAcceptor, server::TlsStream};

use crate::config::{AcmeChallenge, AcmeSettings, TlsSettings};

/// TLS set-up, loaded before anything else starts so a missing file fails fast.
pub enum TlsMaterial {
    None,
    Static(Arc<ServerConfig>),
    Acme(Box<AcmeSettings>),
}

impl fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TlsMaterial::None => "TlsMaterial::None",
            TlsMaterial::Static(_) => "TlsMaterial::Static",
            TlsMaterial::Acme(_) => "TlsMaterial::Acme",
        })
    }
}

const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

impl TlsMaterial {
    pub fn load(settings: &TlsSettings) -> anyhow::Result<TlsMaterial> {
        Ok(match settings {
            TlsSettings::None => TlsMaterial::None,
            TlsSettings::Files { cert, key } => {
                TlsMaterial::Static(Arc::new(static_config(cert, key)?))
            }
            TlsSettings::Acme(acme) => {
                // Checked whole here, before the data folder is touched, so an unusable root
                // stops start-up with nothing created.
                if let Some(root) = &acme.ca_root {
                    acme_roots(root)?;
                }
                TlsMaterial::Acme(Box::new(acme.clone()))
            }
        })
    }

    pub fn is_https(&self) -> bool {
        !matches!(self, TlsMaterial::None)
    }
}

fn read_certs(path: &Path, key: &str) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read {key} {}", path.display()))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            anyhow::anyhow!(
                "{key} {} is not a PEM certificate file: {e}",
                path.display()
            )
        })?;
    if certs.is_empty() {
        anyhow::bail!("{key} {} holds no PEM certificate", path.display());
    }
    Ok(certs)
}

fn static_config(cert: &Path, key: &Path) -> anyhow::Result<ServerConfig> {
    let certs = read_certs(cert, "tls_cert")?;
    let key_bytes =
        std::fs::read(key).with_context(|| format!("cannot read tls_key {}", key.display()))?;
    let private_key = PrivateKeyDer::from_pem_slice(&key_bytes)
        .map_err(|e| anyhow::anyhow!("tls_key {} is not a PEM private key: {e}", key.display()))?;
    let mut config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, private_key)
        .map_err(|e| anyhow::anyhow!("tls_cert and tls_key do not form a usable pair: {e}"))?;
    config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
    Ok(config)
}

/// A running ACME client: the certificate resolver and the TLS configurations that use it.
pub struct Acme {
    pub challenge_config: Arc<ServerConfig>,
    pub default_config: Arc<ServerConfig>,
    pub resolver: Arc<ResolvesServerCertAcme>,
}

/// The extra trust roots of `acme_ca_root` (a test or private CA).
fn acme_roots(path: &Path) -> anyhow::Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    for cert in read_certs(path, "acme_ca_root")? {
        roots
            .add(cert)
            .context("acme_ca_root holds an unusable certificate")?;
    }
    Ok(roots)
}

/// Starts the ACME state machine (ordering, caching, renewing) in a task polled for the life
/// of the process.
pub fn start_acme(settings: &AcmeSettings, cache_dir: &Path) -> anyhow::Result<Acme> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots_anchors());
    if let Some(path) = &settings.ca_root {
        roots.roots.extend(acme_roots(path)?.roots);
    }
    let client = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut config = AcmeConfig::new_with_client_config(settings.domains.iter(), Arc::new(client))
        .directory(settings.directory.as_str())
        .challenge_type(match settings.challenge {
            AcmeChallenge::TlsAlpn01 => UseChallenge::TlsAlpn01,
            AcmeChallenge::Http01 => UseChallenge::Http01,
        });
    if let Some(email) = &settings.email {
        config = config.contact_push(format!("mailto:{email}"));
    }
    let mut state: AcmeState<io::Error> =
        config.cache(DirCache::new(cache_dir.to_path_buf())).state();
    let resolver = state.resolver();
    let challenge_config = state.challenge_rustls_config();
    let mut default_config = (*state.default_rustls_config()).clone();
    default_config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
    let domains = settings.domains.join(",");
    tokio::spawn(async move {
        while let Some(event) = state.next().await {
            match event {
                Ok(ok) => tracing::info!(domains = %domains, event = ?ok, "acme"),
                Err(err) => {
                    tracing::error!(domains = %domains, error = %err, "acme: certificate not obtained yet; retrying")
                }
            }
        }
    });
    Ok(Acme {
        challenge_config,
        default_config: Arc::new(default_config),
        resolver,
    })
}

fn webpki_roots_anchors() -> Vec<rustls::pki_types::TrustAnchor<'static>> {
    webpki_roots::TLS_SERVER_ROOTS.to_vec()
}

type Accepted = (TlsStream<TcpStream>, LocalAddr, RemoteAddr);

/// Accepts TCP, handshakes in a task per connection (so a slow client cannot stall the accept
/// loop), and hands finished TLS streams to poem. Answers TLS-ALPN-01 challenges when given a
/// challenge configuration.
pub struct TlsAcceptor {
    local: Vec<LocalAddr>,
    rx: tokio::sync::mpsc::Receiver<Accepted>,
    accept_loop: tokio::task::JoinHandle<()>,
}

impl TlsAcceptor {
    pub fn new(
        listener: TcpListener,
        config: Arc<ServerConfig>,
        challenge: Option<Arc<ServerConfig>>,
    ) -> io::Result<TlsAcceptor> {
        let addr: SocketAddr = listener.local_addr()?;
        let local = LocalAddr(poem::Addr::SocketAddr(addr));
        let (tx, rx) = tokio::sync::mpsc::channel(128);
        let loop_local = local.clone();
        let accept_loop = tokio::spawn(async move {
            loop {
                let (tcp, peer) = match listener.accept().await {
                    Ok(conn) => conn,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let (tx, config, challenge, local) = (
                    tx.clone(),
                    config.clone(),
                    challenge.clone(),
                    loop_local.clone(),
                );
                tokio::spawn(async move {
                    let handshake = async {
                        let start = LazyConfigAcceptor::new(Default::default(), tcp).await?;
                        if let Some(challenge) = challenge
                            && rustls_acme::is_tls_alpn_challenge(&start.client_hello())
                        {
                            let mut tls = start.into_stream(challenge).await?;
                            let _ = tokio::io::AsyncWriteExt::shutdown(&mut tls).await;
                            return Ok::<_, io::Error>(None);
                        }
                        Ok(Some(start.into_stream(config).await?))
                    };
                    match tokio::time::timeout(std::time::Duration::from_secs(10), handshake).await
                    {
                        Ok(Ok(Some(tls))) => {
                            let _ = tx
                                .send((tls, local, RemoteAddr(poem::Addr::SocketAddr(peer))))
                                .await;
                        }
                        Ok(Ok(None)) => {}
                        Ok(Err(e)) => {
                            tracing::debug!(peer = %peer, error = %e, "TLS handshake failed")
                        }
                        Err(_) => tracing::debug!(peer = %peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(TlsAcceptor {
            local: vec![local],
            rx,
            accept_loop,
        })
    }
}

impl Drop for TlsAcceptor {
    fn drop(&mut self) {
        // Stop accepting when poem lets go of the acceptor (graceful shutdown).
        self.accept_loop.abort();
    }
}

impl Acceptor for TlsAcceptor {
    type Io = TlsStream<TcpStream>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.local.clone()
    }

    async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        let (io, local, remote) = self
            .rx
            .recv()
            .await
            .ok_or_else(|| io::Error::other("TLS accept loop ended"))?;
        Ok((io, local, remote, Scheme::HTTPS))
    }
}
