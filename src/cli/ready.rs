//! `plane-aio doctor ready`: asks the server running on this machine whether it is ready, as a
//! load balancer would (`GET /readyz` on its own listener). For container health checks and
//! install scripts, which have no HTTP client of their own in a slim image.

use std::{net::IpAddr, process::ExitCode, time::Duration};

use anyhow::{Context, bail};

use crate::config::{Settings, TlsSettings};

/// Where the server this configuration describes answers `/readyz` from this machine.
fn readyz_url(settings: &Settings) -> String {
    let mut addr = settings.listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr.ip() {
            IpAddr::V4(_) => IpAddr::from([127, 0, 0, 1]),
            IpAddr::V6(_) => IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]),
        });
    }
    let scheme = match settings.tls {
        TlsSettings::None => "http",
        TlsSettings::Files { .. } | TlsSettings::Acme(_) => "https",
    };
    format!("{scheme}://{addr}/readyz")
}

pub async fn ready(settings: &Settings, timeout: Duration) -> anyhow::Result<ExitCode> {
    crate::app::install_crypto_provider();
    let url = readyz_url(settings);
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        // Its own listener on this machine, by address: what is checked is that it answers,
        // and nothing is sent that a certificate would protect.
        .tls_danger_accept_invalid_certs(true)
        .build()
        .context("cannot build an HTTP client")?;
    let answer = client
        .get(&url)
        .send()
        .await
        .with_context(|| format!("no answer at {url}"))?;
    let status = answer.status();
    if !status.is_success() {
        let body = answer.text().await.unwrap_or_default();
        bail!("{url} answered {status}: {}", body.trim());
    }
    println!("ready ({url})");
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_goes_to_this_machine_on_the_listener() {
        let settings = |flags: &[(&'static str, &str)]| {
            let flags: Vec<_> = flags.iter().map(|(k, v)| (*k, v.to_string())).collect();
            Settings::from_flags(&flags).unwrap()
        };
        assert_eq!(
            readyz_url(&settings(&[("listen", "0.0.0.0:8080")])),
            "http://127.0.0.1:8080/readyz"
        );
        assert_eq!(
            readyz_url(&settings(&[("listen", "[::]:9000")])),
            "http://[::1]:9000/readyz"
        );
        assert_eq!(
            readyz_url(&settings(&[("domain", "plane.example.com")])),
            "https://127.0.0.1:443/readyz"
        );
    }
}
