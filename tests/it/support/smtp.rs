//! An SMTP sink on 127.0.0.1 for the tests: speaks enough SMTP for lettre (EHLO, optional
//! AUTH PLAIN/LOGIN, optional STARTTLS or implicit TLS, MAIL, RCPT, DATA, RSET, QUIT) and keeps
//! every message it receives.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use base64::Engine;
use tokio::{
    io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader},
    net::TcpListener,
};
use tokio_rustls::TlsAcceptor;

#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
    /// The user name the client authenticated as, if it did.
    pub auth_user: Option<String>,
    pub tls: bool,
}

impl Received {
    /// The message with quoted-printable soft breaks and `=3D` undone: good enough to find codes
    /// and links in lettre's output.
    pub fn decoded(&self) -> String {
        self.data.replace("=\r\n", "").replace("=3D", "=")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    Plain,
    Starttls,
    ImplicitTls,
}

pub struct SmtpSink {
    pub addr: SocketAddr,
    pub received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Clone)]
pub struct SinkOptions {
    pub security: Security,
    /// Required credentials, when the sink demands authentication.
    pub credentials: Option<(String, String)>,
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

impl SmtpSink {
    pub async fn start(options: SinkOptions) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (store, options) = (store.clone(), options.clone());
                tokio::spawn(async move {
                    if options.security == Security::ImplicitTls {
                        let acceptor = TlsAcceptor::from(options.tls.clone().expect("TLS config"));
                        if let Ok(tls) = acceptor.accept(socket).await {
                            let _ = session(tls, options, store, true).await;
                        }
                    } else {
                        let _ = session(socket, options, store, false).await;
                    }
                });
            }
        });
        SmtpSink {
            addr,
            received,
            task,
        }
    }

    pub fn messages(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits for the `n`-th message (1-based) to arrive.
    pub async fn wait_for(&self, n: usize) -> Received {
        crate::support::eventually(Duration::from_secs(60), "an email", || async {
            self.messages().get(n - 1).cloned()
        })
        .await
    }
}

enum Next<S> {
    Done,
    Upgrade(S),
}

async fn session<S>(
    socket: S,
    options: SinkOptions,
    store: Arc<Mutex<Vec<Received>>>,
    tls: bool,
) -> std::io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut stream = BufReader::new(socket);
    stream
        .get_mut()
        .write_all(b"220 sink.test ESMTP ready\r\n")
        .await?;
    match converse(&mut stream, &options, &store, tls).await? {
        Next::Done => Ok(()),
        Next::Upgrade(()) => {
            let acceptor = TlsAcceptor::from(options.tls.clone().expect("TLS config"));
            let tls_stream = acceptor.accept(stream.into_inner()).await?;
            let mut stream = BufReader::new(tls_stream);
            converse(&mut stream, &options, &store, true)
                .await
                .map(|_| ())
        }
    }
}

async fn converse<S>(
    stream: &mut BufReader<S>,
    options: &SinkOptions,
    store: &Arc<Mutex<Vec<Received>>>,
    tls: bool,
) -> std::io::Result<Next<()>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut from = String::new();
    let mut to = Vec::new();
    let mut auth_user: Option<String> = None;
    loop {
        let mut line = String::new();
        if stream.read_line(&mut line).await? == 0 {
            return Ok(Next::Done);
        }
        let command = line.trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            let mut lines = vec!["250-sink.test".to_string()];
            if options.security == Security::Starttls && !tls {
                lines.push("250-STARTTLS".into());
            }
            if options.credentials.is_some() {
                lines.push("250-AUTH PLAIN LOGIN".into());
            }
            lines.push("250 8BITMIME".into());
            lines.join("\r\n") + "\r\n"
        } else if upper == "STARTTLS" {
            stream
                .get_mut()
                .write_all(b"220 ready to start TLS\r\n")
                .await?;
            return Ok(Next::Upgrade(()));
        } else if upper.starts_with("AUTH PLAIN") {
            let encoded = command.split_whitespace().nth(2).unwrap_or("").to_string();
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .unwrap_or_default();
            let parts: Vec<String> = decoded
                .split(|b| *b == 0)
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect();
            let (user, pass) = (
                parts.get(1).cloned().unwrap_or_default(),
                parts.get(2).cloned().unwrap_or_default(),
            );
            if options.credentials.as_ref() == Some(&(user.clone(), pass)) {
                auth_user = Some(user);
                "235 2.7.0 Authentication successful\r\n".into()
            } else {
                "535 5.7.8 Authentication credentials invalid\r\n".into()
            }
        } else if upper.starts_with("MAIL FROM:") {
            if options.credentials.is_some() && auth_user.is_none() {
                "530 5.7.0 Authentication required\r\n".into()
            } else {
                from = command[10..].trim().trim_matches(['<', '>']).to_string();
                "250 2.1.0 Ok\r\n".into()
            }
        } else if upper.starts_with("RCPT TO:") {
            to.push(command[8..].trim().trim_matches(['<', '>']).to_string());
            "250 2.1.5 Ok\r\n".into()
        } else if upper == "DATA" {
            stream
                .get_mut()
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data = String::new();
            loop {
                let mut l = String::new();
                if stream.read_line(&mut l).await? == 0 {
                    return Ok(Next::Done);
                }
                if l == ".\r\n" || l == ".\n" {
                    break;
                }
                data.push_str(
                    l.strip_prefix('.')
                        .filter(|_| l.starts_with(".."))
                        .unwrap_or(&l),
                );
            }
            store.lock().unwrap().push(Received {
                from: from.clone(),
                to: std::mem::take(&mut to),
                data,
                auth_user: auth_user.clone(),
                tls,
            });
            "250 2.0.0 Ok: queued as TEST\r\n".into()
        } else if upper == "RSET" || upper == "NOOP" {
            "250 2.0.0 Ok\r\n".into()
        } else if upper == "QUIT" {
            stream.get_mut().write_all(b"221 2.0.0 Bye\r\n").await?;
            return Ok(Next::Done);
        } else {
            "502 5.5.2 Command not recognized\r\n".into()
        };
        stream.get_mut().write_all(reply.as_bytes()).await?;
    }
}
