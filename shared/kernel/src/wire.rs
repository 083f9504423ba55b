//! The connection under the HTTP server. Requests actix cannot parse (a request target over
//! the 65 534 bytes `http::Uri` takes, a control character in a header, a head over 128 KiB)
//! are answered by actix's dispatcher itself, before any middleware, with an empty 400, 431
//! or 408. [`Wire`] recognises those answers as they are written and writes problem+json in
//! their place, so that every answer a client gets has the same shape.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use actix_web::rt::net::TcpStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::{ApiError, ErrorCode};

/// A client's TCP connection, as the HTTP server reads and writes it.
pub struct Wire {
    io: TcpStream,
    peer: Option<SocketAddr>,
    /// Problem+json being written in place of a bare error answer.
    pending: Vec<u8>,
    written: usize,
}

impl Wire {
    pub fn new(io: TcpStream) -> Self {
        let peer = io.peer_addr().ok();
        Self { io, peer, pending: Vec::new(), written: 0 }
    }

    pub fn peer(&self) -> Option<SocketAddr> {
        self.peer
    }

    /// Writes what is left of a replacement answer.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

/// The problem+json answer for actix's own empty error answer at the start of `buf`, and the
/// length of that answer's head; `None` for anything else. Only actix's dispatcher writes a
/// 400, 408 or 431 with an empty body: every answer of the application is problem+json.
pub fn replacement(buf: &[u8]) -> Option<(usize, Vec<u8>)> {
    const PREFIX: &[u8] = b"HTTP/1.1 ";
    // Cheap checks first: this runs on every answer's head.
    if !buf.starts_with(PREFIX)
        || !matches!(buf.get(PREFIX.len()..PREFIX.len() + 3), Some(b"400" | b"408" | b"431"))
    {
        return None;
    }
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    if !head.contains("\r\ncontent-length: 0\r\n") {
        return None;
    }
    let (code, detail) = match buf.get(PREFIX.len()..PREFIX.len() + 3)? {
        b"400" => (
            ErrorCode::BadRequest,
            "The request is not valid HTTP: a request target longer than 65 534 bytes, a header value \
             with a control character, or a malformed request line or header",
        ),
        b"431" => (ErrorCode::RequestHeadTooLarge, "The request line and headers are larger than 128 KiB"),
        b"408" => (ErrorCode::RequestTimeout, "The request's headers did not arrive in time"),
        _ => return None,
    };
    let problem = serde_json::to_vec(&ApiError::new(code, detail).to_problem()).ok()?;
    let status = code.status();
    let mut out = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\n\
         connection: close\r\ncache-control: no-store\r\nx-content-type-options: nosniff\r\n\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or_default(),
        problem.len()
    )
    .into_bytes();
    out.extend_from_slice(&problem);
    Some((end, out))
}

impl AsyncRead for Wire {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Wire {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        ready!(this.poll_pending(cx))?;
        if let Some((head, answer)) = replacement(buf) {
            this.pending = answer;
            this.written = 0;
            // The bare head counts as written; the problem goes out now or on the next write,
            // flush or shutdown.
            if let Poll::Ready(Err(err)) = this.poll_pending(cx) {
                return Poll::Ready(Err(err));
            }
            return Poll::Ready(Ok(head));
        }
        Pin::new(&mut this.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_dispatchers_bare_errors_are_replaced() {
        let bare = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\ndate: x\r\n\r\n";
        let (head, answer) = replacement(bare).unwrap();
        assert_eq!(head, bare.len());
        let answer = String::from_utf8(answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\n"));
        assert!(answer.ends_with('}') && answer.contains("\"code\":\"bad_request\""), "{answer}");
        let (_, answer) =
            replacement(b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n")
                .unwrap();
        assert!(String::from_utf8(answer).unwrap().contains("\"status\":431"));
        // The application's own answers pass as they are.
        assert!(replacement(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 120\r\n\r\n{").is_none());
        assert!(replacement(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(replacement(b"{\"a\": 1}").is_none());
    }
}
