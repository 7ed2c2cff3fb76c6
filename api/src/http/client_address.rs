//! The client's IP address, for limits that count per client (password-reset requests).
//! Behind load balancers the connection comes from the last proxy; each proxy appends the
//! address it saw to `X-Forwarded-For`, so with `hops` trusted proxies in front the client is
//! the `hops`-th address from the right. Addresses further left were written by the client
//! and prove nothing.

use std::net::IpAddr;

use actix_web::HttpRequest;

pub fn of(req: &HttpRequest, hops: usize) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|addr| addr.ip());
    if hops == 0 {
        return peer;
    }
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect();
    forwarded.len().checked_sub(hops).and_then(|index| forwarded[index].parse().ok()).or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn request(forwarded: &[&str]) -> HttpRequest {
        let mut req = TestRequest::default().peer_addr("10.0.0.9:4000".parse().unwrap());
        for value in forwarded {
            req = req.append_header(("X-Forwarded-For", *value));
        }
        req.to_http_request()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        assert_eq!(of(&request(&["203.0.113.7"]), 0), "10.0.0.9".parse().ok());
    }

    #[test]
    fn each_trusted_proxy_vouches_for_one_address_from_the_right() {
        let req = request(&["198.51.100.1, 203.0.113.7", "192.0.2.4"]);
        assert_eq!(of(&req, 1), "192.0.2.4".parse().ok());
        assert_eq!(of(&req, 2), "203.0.113.7".parse().ok());
    }

    #[test]
    fn a_missing_or_garbled_header_falls_back_to_the_peer() {
        assert_eq!(of(&request(&[]), 1), "10.0.0.9".parse().ok());
        assert_eq!(of(&request(&["not an address"]), 1), "10.0.0.9".parse().ok());
    }
}
