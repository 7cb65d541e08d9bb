// The TLS of a DNS-over-TLS client (RFC 7858, strict privacy profile of RFC 8310), sans I/O:
// TlsContext holds what one event loop's connections share (the CA store, TLS 1.2 at least,
// the last session per server for resumption); TlsSession is one connection's TLS over
// memory buffers. The caller moves the bytes: ciphertext the socket received goes in
// (receive), ciphertext to send comes out (take_ciphertext), plaintext goes in (write) and
// out (read). The server is authenticated by a certificate valid for its authentication name
// and/or a key matching an SPKI pin (RFC 7858 §4.2); a refusal comes back as a
// TlsVerification and in words. No sockets, no clock, no threads.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct ssl_ctx_st;  // OpenSSL's SSL_CTX, SSL, SSL_SESSION and BIO, kept out of this
struct ssl_st;      // header (crypto/ is the only place that includes OpenSSL)
struct ssl_session_st;
struct bio_st;

namespace dnsp::crypto {

// RFC 7858 §4.2: the SHA-256 digest of a certificate's DER SubjectPublicKeyInfo, what
// `openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256`
// prints. (The same array as config::SpkiPin.)
using SpkiPin = std::array<uint8_t, 32>;

// The pin of the first certificate in `pem` (PEM text); nullopt when none can be read.
std::optional<SpkiPin> spki_pin_of_pem(std::string_view pem);

// Why a TlsContext could not be made.
enum class TlsContextError : uint8_t {
  None,
  SetupFailed,            // OpenSSL could not make a context (out of memory): `detail` says
  CaFileUnreadable,       // the CA file is not readable or holds no PEM certificate
  SystemStoreUnreadable,  // OpenSSL's default verify paths could not be loaded
};

class TlsContext;
// `context` is set exactly when error == TlsContextError::None.
struct TlsContextResult {
  std::shared_ptr<TlsContext> context;
  TlsContextError error = TlsContextError::None;
  std::string detail;  // OpenSSL's words, when it gave some
};

// Not thread-safe (the session store is not locked): one per event loop. Sessions keep it
// alive, so it may be dropped before them.
class TlsContext {
 public:
  // A client context checking certificates against the PEM CAs in `ca_file`, or against
  // OpenSSL's default paths (the system store, /etc/ssl/certs) when it is "". TLS 1.2 at
  // least (RFC 8310 §9, RFC 7525 §3.1.1); OpenSSL offers 1.3 first.
  static TlsContextResult make(const std::string& ca_file);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // Sessions kept for resumption (one per TlsPeer::session_key that got one).
  size_t sessions_kept() const { return sessions_.size(); }

 private:
  friend class TlsSession;
  struct Free {
    void operator()(ssl_ctx_st* ctx) const noexcept;
    void operator()(ssl_session_st* session) const noexcept;
  };
  using CtxPtr = std::unique_ptr<ssl_ctx_st, Free>;
  using SessionPtr = std::unique_ptr<ssl_session_st, Free>;
  explicit TlsContext(CtxPtr ctx) : ctx_(std::move(ctx)) {}

  CtxPtr ctx_;
  std::map<std::string, SessionPtr, std::less<>> sessions_;  // the last one per session_key
};

// Who the server must be (RFC 8310 §8: at least one of the two is set).
struct TlsPeer {
  // RFC 8310 §8.1: checked against the certificate's names, against the context's CAs, and
  // sent as SNI (RFC 6066 §3). "": pins only, the chain is not checked against a CA.
  std::string auth_name;
  // RFC 7858 §4.2: a key the server shows (its certificate or one in its chain) must match
  // one of these, checked once the handshake is done. Empty: no pin.
  std::vector<SpkiPin> pins;
  // Sessions are kept and resumed per key (the server's name, say); "": not resumed.
  std::string session_key;
  // RFC 7301: the application protocol offered by ALPN, which the server must choose ("h2"
  // for DNS-over-HTTPS); "": none offered (DNS-over-TLS).
  std::string alpn = {};
};

// Where a session stands.
enum class TlsState : uint8_t {
  Handshaking,  // send take_ciphertext(), receive() the server's answer, call handshake()
  Ready,        // the server is authenticated: write() and read() plaintext
  Closed,       // the server ended the session (close_notify), or close() did
  Failed,       // refused or broken: verification() and failure() say why
};

// Whether the handshake authenticated the server, and if not, why.
enum class TlsVerification : uint8_t {
  Pending,              // the handshake is not done
  Authenticated,        // the certificate is valid for the name, and/or a pin matched
  NameMismatch,         // the certificate is not for the authentication name
  Expired,              // the certificate (or one of its CAs) expired
  NotYetValid,          // ... or is not valid yet
  SelfSigned,           // a self-signed certificate not in the CA store
  UntrustedIssuer,      // not issued by a CA in the store
  CertificateRejected,  // another problem with the chain (OpenSSL's words in failure())
  PinMismatch,          // no key the server shows matches a pin
  HandshakeFailed,      // no certificate problem: the TLS exchange itself failed
};

class TlsSession {
 public:
  // A client session for `peer` (resuming the context's last session for its key), ready to
  // start: handshake() writes the ClientHello. If OpenSSL cannot make one, the session is
  // Failed (HandshakeFailed) from the start.
  TlsSession(std::shared_ptr<TlsContext> context, TlsPeer peer);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // Ciphertext the server sent, as it arrived (any piece of a record).
  void receive(std::span<const uint8_t> ciphertext);
  // Runs the handshake as far as the ciphertext received allows, then checks the pins.
  // Handshaking: wait for more; Ready: authenticated; Failed: refused (nothing was written
  // but the handshake). After the handshake, returns state() without doing anything.
  TlsState handshake();
  // Decrypts into `into` what the server sent: the number of octets, 0 when nothing more
  // is there for now. When 0, state() tells whether the server closed or the session broke.
  size_t read(std::span<uint8_t> into);
  // Encrypts `plaintext` for take_ciphertext(); false when the session is not Ready (or was
  // closed by the server only) or broke (Failed).
  bool write(std::span<const uint8_t> plaintext);
  // The ciphertext produced so far (handshake messages, records, alerts), for the socket.
  std::vector<uint8_t> take_ciphertext();
  // Ends the session: a close_notify (after a completed handshake) for take_ciphertext().
  void close();

  TlsState state() const { return state_; }
  TlsVerification verification() const { return verification_; }
  // Why the session is Failed, in words for logs and EDE texts: "certificate name dns.other
  // does not match (the certificate is for dns.test)", "SPKI pin mismatch (...)",
  // "certificate expired 2026-11-01T00:00:00Z", "TLS handshake failed: ...", "TLS error:
  // ..." (after the handshake). "" otherwise.
  const std::string& failure() const { return failure_; }
  bool resumed() const;         // the handshake resumed a kept session
  std::string version() const;  // "TLSv1.3"
  std::string alpn() const;     // the protocol the server chose by ALPN, "" if none

 private:
  friend class TlsContext;  // installs Callbacks::on_new_session
  struct Callbacks;         // OpenSSL's verify and new-session callbacks (tls_client.cc)
  struct Free {
    void operator()(ssl_st* ssl) const noexcept;
  };
  void fail(TlsVerification verification, std::string why);
  bool pins_match() const;

  std::shared_ptr<TlsContext> context_;
  TlsPeer peer_;
  std::unique_ptr<ssl_st, Free> ssl_;  // owns both memory BIOs
  bio_st* rbio_ = nullptr;             // ciphertext from the server, for OpenSSL to read
  bio_st* wbio_ = nullptr;             // ciphertext OpenSSL wrote, for the socket
  TlsState state_ = TlsState::Handshaking;
  TlsVerification verification_ = TlsVerification::Pending;
  // The first certificate problem the verify callback saw, until the handshake fails on it.
  TlsVerification certificate_problem_ = TlsVerification::Pending;
  std::string certificate_words_;
  std::string failure_;
  bool close_sent_ = false;
};

}  // namespace dnsp::crypto
