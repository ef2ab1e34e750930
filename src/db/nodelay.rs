//! TCP_NODELAY on the Postgres connections, which sqlx 0.9.0 no longer sets (sqlx issue #4335:
//! 0.8 set it; 0.9.0 dropped it, a fix is not yet released).
//!
//! With Nagle's algorithm on, a small write that follows another before the server has
//! acknowledged it waits for the server's delayed ACK: 40 ms on Linux. Measured here (two
//! cores, Postgres on loopback, 32 connections): a TLS connection took 88 ms to open instead of
//! about 1, and now and then one query of the shared rate-limit write stalled for 40 ms, and
//! every request waiting on it with it — p99 of 12–45 ms where the server's own work takes 2.
//!
//! sqlx does not hand out its socket, so each new connection of the pool looks through this
//! process's descriptors for TCP sockets whose peer port is the database's and switches Nagle
//! off on them. Any such socket is a connection to the database (this pool's, or the job
//! queue's): setting the option twice, or on a sibling, is harmless. Linux only (it reads
//! `/proc/self/fd`); elsewhere nothing is changed.

use std::os::fd::{BorrowedFd, RawFd};

/// Switches Nagle's algorithm off on every TCP socket of this process connected to `port`;
/// returns how many it found.
pub fn connections_to(port: u16) -> usize {
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return 0;
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<RawFd>().ok())
        .filter(|&fd| set_if_connected_to(fd, port))
        .count()
}

fn set_if_connected_to(fd: RawFd, port: u16) -> bool {
    // SAFETY: `fd` was open when /proc listed it; if another thread closed it since, the calls
    // below fail on it (EBADF), and if its number was reused, they act on that new descriptor
    // only when it too is a TCP socket to the database's port, where the option is harmless.
    // The borrow ends with this function, and nothing here closes the descriptor.
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    let socket = socket2::SockRef::from(&borrowed);
    let is_tcp = matches!(socket.r#type(), Ok(t) if t == socket2::Type::STREAM)
        && socket.local_addr().is_ok_and(|a| a.as_socket().is_some());
    let to_port = socket
        .peer_addr()
        .ok()
        .and_then(|addr| addr.as_socket())
        .is_some_and(|addr| addr.port() == port);
    is_tcp && to_port && socket.set_tcp_nodelay(true).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets_to_the_port_get_nodelay_and_others_are_left_alone() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let to_port = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let elsewhere = std::net::TcpStream::connect(other.local_addr().unwrap()).unwrap();
        assert!(!to_port.nodelay().unwrap());

        let found = connections_to(port);

        if cfg!(target_os = "linux") {
            assert_eq!(found, 1);
            assert!(to_port.nodelay().unwrap());
        }
        assert!(!elsewhere.nodelay().unwrap());
    }
}
