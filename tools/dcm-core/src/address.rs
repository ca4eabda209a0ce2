//! The PACS address: `AE@HOST:PORT`, the form dicom-rs tools and the
//! `DCM_PACS` variable use.

use std::fmt;

/// A DICOM application entity on the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AeAddress {
    /// The called AE title.
    pub ae_title: String,
    /// Host name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl std::str::FromStr for AeAddress {
    type Err = String;

    /// Parses `AE@HOST:PORT` (IPv6 hosts in brackets).
    ///
    /// ```
    /// let a: dcm_core::address::AeAddress = "ORTHANC@127.0.0.1:4242".parse().unwrap();
    /// assert_eq!((a.ae_title.as_str(), a.port), ("ORTHANC", 4242));
    /// ```
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = |why: &str| format!("PACS address {text:?}: {why} (expected AE@HOST:PORT)");
        let (ae, rest) = text.split_once('@').ok_or_else(|| bad("no AE title"))?;
        let (host, port) = rest.rsplit_once(':').ok_or_else(|| bad("no port"))?;
        let port: u16 = port.parse().map_err(|_| bad("port is not a number"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        check_ae_title(ae).map_err(|why| bad(&why))?;
        if host.is_empty() {
            return Err(bad("no host"));
        }
        Ok(AeAddress {
            ae_title: ae.to_string(),
            host: host.to_string(),
            port,
        })
    }
}

impl fmt::Display for AeAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "{}@[{}]:{}", self.ae_title, self.host, self.port)
        } else {
            write!(f, "{}@{}:{}", self.ae_title, self.host, self.port)
        }
    }
}

/// Checks an AE title: 1 to 16 printable ASCII characters, no backslash.
pub fn check_ae_title(ae: &str) -> Result<(), String> {
    if ae.trim().is_empty() {
        return Err("empty AE title".into());
    }
    if ae.len() > 16 {
        return Err(format!("AE title {ae:?} is longer than 16 characters"));
    }
    if !ae.chars().all(|c| c.is_ascii_graphic() || c == ' ') || ae.contains('\\') {
        return Err(format!(
            "AE title {ae:?} holds characters DICOM does not allow"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_back() {
        for text in ["PACS@pacs.example.org:7840", "A@[::1]:104"] {
            let a: AeAddress = text.parse().unwrap();
            assert_eq!(a.to_string(), text);
        }
    }

    #[test]
    fn rejects_malformed_addresses() {
        for text in [
            "pacs:104",
            "@h:1",
            "A@h",
            "A@h:x",
            "A@:1",
            "WAYTOOLONGAETITLE17@h:1",
        ] {
            assert!(text.parse::<AeAddress>().is_err(), "{text}");
        }
    }
}
