#include "crypto/tls_client.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <climits>
#include <ctime>
#include <utility>

#include "crypto/fetched_md.h"
#include "crypto/openssl_ptr.h"

namespace dnsp::crypto {
namespace {

using X509Ptr = OpenSslPtr<X509, X509_free>;
using BioPtr = OpenSslPtr<BIO, BIO_free>;
using GeneralNamesPtr = OpenSslPtr<GENERAL_NAMES, GENERAL_NAMES_free>;

// What OpenSSL left on its error queue, in its words ("" when nothing); clears the queue.
std::string openssl_words() {
  const unsigned long e = ERR_peek_last_error();
  std::string out;
  if (e != 0) {
    const char* reason = ERR_reason_error_string(e);
    out = reason != nullptr ? reason : "error " + std::to_string(e);
  }
  ERR_clear_error();
  return out;
}

std::string with_words(std::string what) {
  const std::string words = openssl_words();
  return words.empty() ? what : what + ": " + words;
}

std::string utc(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return "(unknown time)";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The DNS names a certificate is for (subjectAltName), "a, b"; "" when none.
std::string dns_names(X509* cert) {
  std::string out;
  const GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names.get(), i);
    if (n->type != GEN_DNS) continue;
    const ASN1_STRING* s = n->d.dNSName;
    if (!out.empty()) out += ", ";
    out.append(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
               static_cast<size_t>(ASN1_STRING_length(s)));
  }
  return out;
}

// RFC 7858 §4.2: SHA-256 of the DER SubjectPublicKeyInfo.
std::optional<SpkiPin> spki_pin(X509* cert) {
  if (cert == nullptr) return std::nullopt;
  unsigned char* der = nullptr;
  const int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (len <= 0) return std::nullopt;
  SpkiPin pin{};
  unsigned int n = 0;
  const bool ok =
      EVP_Digest(der, static_cast<size_t>(len), pin.data(), &n, md::sha256(), nullptr) == 1 &&
      n == pin.size();
  OPENSSL_free(der);
  if (!ok) return std::nullopt;
  return pin;
}

// A certificate problem OpenSSL's chain check reported (X509_V_ERR_*), in our words.
std::pair<TlsVerification, std::string> certificate_problem(int err, int depth, X509* cert,
                                                            const std::string& auth_name) {
  const std::string which =
      depth == 0 ? "certificate" : "CA certificate (depth " + std::to_string(depth) + ")";
  switch (err) {
    case X509_V_ERR_HOSTNAME_MISMATCH: {
      const std::string names = cert != nullptr ? dns_names(cert) : "";
      return {TlsVerification::NameMismatch,
              "certificate name " + auth_name + " does not match" +
                  (names.empty() ? std::string(" the certificate")
                                 : " (the certificate is for " + names + ")")};
    }
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return {TlsVerification::Expired,
              which + " expired " + utc(cert != nullptr ? X509_get0_notAfter(cert) : nullptr)};
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return {TlsVerification::NotYetValid,
              which + " not valid before " +
                  utc(cert != nullptr ? X509_get0_notBefore(cert) : nullptr)};
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      return {TlsVerification::SelfSigned, "self-signed certificate (not issued by a trusted CA)"};
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return {TlsVerification::UntrustedIssuer, "certificate not issued by a trusted CA"};
    default:
      return {TlsVerification::CertificateRejected,
              which + " not accepted: " + std::string(X509_verify_cert_error_string(err))};
  }
}

}  // namespace

std::optional<SpkiPin> spki_pin_of_pem(std::string_view pem) {
  if (pem.size() > INT_MAX) return std::nullopt;
  const BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return std::nullopt;
  const X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  return spki_pin(cert.get());
}

// OpenSSL calls these with the SSL whose app data is its TlsSession.
struct TlsSession::Callbacks {
  // Records the first certificate problem, in words; `ok` stands (0 fails the handshake).
  static int on_verify(int ok, X509_STORE_CTX* store) noexcept {
    if (ok == 1) return ok;
    auto* ssl =
        static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    auto* s = ssl != nullptr ? static_cast<TlsSession*>(SSL_get_app_data(ssl)) : nullptr;
    if (s == nullptr || s->certificate_problem_ != TlsVerification::Pending) return ok;
    auto [problem, words] =
        certificate_problem(X509_STORE_CTX_get_error(store), X509_STORE_CTX_get_error_depth(store),
                            X509_STORE_CTX_get_current_cert(store), s->peer_.auth_name);
    s->certificate_problem_ = problem;
    s->certificate_words_ = std::move(words);
    return ok;
  }
  // A session the server gave (TLS 1.3: a ticket after the handshake): kept for its key.
  static int on_new_session(SSL* ssl, SSL_SESSION* session) noexcept {
    auto* s = static_cast<TlsSession*>(SSL_get_app_data(ssl));
    if (s == nullptr || s->peer_.session_key.empty()) return 0;
    s->context_->sessions_[s->peer_.session_key] = TlsContext::SessionPtr(session);
    return 1;  // the reference is ours now
  }
};

void TlsContext::Free::operator()(ssl_ctx_st* ctx) const noexcept { SSL_CTX_free(ctx); }
void TlsContext::Free::operator()(ssl_session_st* session) const noexcept {
  SSL_SESSION_free(session);
}
void TlsSession::Free::operator()(ssl_st* ssl) const noexcept { SSL_free(ssl); }

TlsContextResult TlsContext::make(const std::string& ca_file) {
  ERR_clear_error();
  CtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return {nullptr, TlsContextError::SetupFailed, openssl_words()};
  // RFC 8310 §9 / RFC 7525 §3.1.1: TLS 1.2 at least; OpenSSL offers 1.3 first.
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  if (!ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr) != 1) {
      return {nullptr, TlsContextError::CaFileUnreadable, openssl_words()};
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
    return {nullptr, TlsContextError::SystemStoreUnreadable, openssl_words()};
  }
  // Client sessions go to Callbacks::on_new_session (kept per session key), not to
  // OpenSSL's own cache.
  SSL_CTX_set_session_cache_mode(ctx.get(),
                                 SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx.get(), &TlsSession::Callbacks::on_new_session);
  return {std::shared_ptr<TlsContext>(new TlsContext(std::move(ctx))), TlsContextError::None, ""};
}

TlsContext::~TlsContext() = default;

TlsSession::TlsSession(std::shared_ptr<TlsContext> context, TlsPeer peer)
    : context_(std::move(context)), peer_(std::move(peer)) {
  ERR_clear_error();
  ssl_.reset(SSL_new(context_->ctx_.get()));
  BioPtr rbio(BIO_new(BIO_s_mem()));
  BioPtr wbio(BIO_new(BIO_s_mem()));
  if (!ssl_ || !rbio || !wbio) {
    fail(TlsVerification::HandshakeFailed, with_words("cannot set up TLS"));
    return;
  }
  BIO_set_mem_eof_return(rbio.get(), -1);  // empty means "wait for more", not end of stream
  rbio_ = rbio.get();
  wbio_ = wbio.get();
  SSL_set_bio(ssl_.get(), rbio.release(), wbio.release());  // the SSL owns them now
  SSL_set_app_data(ssl_.get(), this);
  SSL_set_connect_state(ssl_.get());
  if (!peer_.auth_name.empty()) {
    // RFC 8310 §8.1: the authentication name is checked against the certificate (and sent
    // as SNI, RFC 6066 §3); no partial wildcards (RFC 6125 §7.2).
    SSL_set_tlsext_host_name(ssl_.get(), peer_.auth_name.c_str());
    SSL_set_verify(ssl_.get(), SSL_VERIFY_PEER, &Callbacks::on_verify);
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_.get());
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    X509_VERIFY_PARAM_set1_host(param, peer_.auth_name.c_str(), peer_.auth_name.size());
  } else {
    // Pins only (RFC 7858 §4.2): the chain is not checked against a CA; the pins are, once
    // the handshake is done and before any plaintext is written.
    SSL_set_verify(ssl_.get(), SSL_VERIFY_NONE, nullptr);
  }
  if (!peer_.alpn.empty()) {
    // RFC 7301 §3.1: the protocol names, each with a one-octet length.
    std::vector<uint8_t> wire;
    wire.push_back(static_cast<uint8_t>(peer_.alpn.size()));
    wire.insert(wire.end(), peer_.alpn.begin(), peer_.alpn.end());
    if (peer_.alpn.size() > 255 ||
        SSL_set_alpn_protos(ssl_.get(), wire.data(), static_cast<unsigned>(wire.size())) != 0) {
      fail(TlsVerification::HandshakeFailed, with_words("cannot offer ALPN " + peer_.alpn));
      return;
    }
  }
  if (!peer_.session_key.empty()) {
    auto kept = context_->sessions_.find(peer_.session_key);
    if (kept != context_->sessions_.end()) SSL_set_session(ssl_.get(), kept->second.get());
  }
}

TlsSession::~TlsSession() = default;

std::string TlsSession::alpn() const {
  const unsigned char* name = nullptr;
  unsigned int size = 0;
  if (ssl_) SSL_get0_alpn_selected(ssl_.get(), &name, &size);
  return name == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(name), size);
}

void TlsSession::fail(TlsVerification verification, std::string why) {
  state_ = TlsState::Failed;
  verification_ = verification;
  failure_ = std::move(why);
  ERR_clear_error();
}

void TlsSession::receive(std::span<const uint8_t> ciphertext) {
  if (rbio_ == nullptr || state_ == TlsState::Failed) return;
  while (!ciphertext.empty()) {
    const int n = static_cast<int>(std::min<size_t>(ciphertext.size(), INT_MAX));
    const int written = BIO_write(rbio_, ciphertext.data(), n);
    if (written <= 0) {
      fail(verification_ == TlsVerification::Pending ? TlsVerification::HandshakeFailed
                                                     : verification_,
           with_words("TLS error: cannot buffer what the server sent"));
      return;
    }
    ciphertext = ciphertext.subspan(static_cast<size_t>(written));
  }
}

bool TlsSession::pins_match() const {
  auto matches = [this](X509* cert) {
    const auto pin = spki_pin(cert);
    return pin && std::find(peer_.pins.begin(), peer_.pins.end(), *pin) != peer_.pins.end();
  };
  if (matches(SSL_get0_peer_certificate(ssl_.get()))) return true;
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl_.get());
  for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
    if (matches(sk_X509_value(chain, i))) return true;
  }
  return false;
}

TlsState TlsSession::handshake() {
  if (state_ != TlsState::Handshaking) return state_;
  ERR_clear_error();
  const int rc = SSL_do_handshake(ssl_.get());
  if (rc != 1) {
    const int err = SSL_get_error(ssl_.get(), rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return state_;
    if (certificate_problem_ != TlsVerification::Pending) {
      fail(certificate_problem_, certificate_words_);
    } else {
      fail(TlsVerification::HandshakeFailed, with_words("TLS handshake failed"));
    }
    return state_;
  }
  if (!peer_.pins.empty() && !pins_match()) {
    // RFC 7858 §4.2: no pin matches, the server is not authenticated.
    fail(TlsVerification::PinMismatch,
         "SPKI pin mismatch (no key the server shows matches spki_pins)");
    return state_;
  }
  if (!peer_.alpn.empty() && alpn() != peer_.alpn) {
    // RFC 9113 §3.2 (HTTP/2 over TLS is "h2" by ALPN), RFC 8484 §5.2: no other protocol.
    fail(TlsVerification::HandshakeFailed,
         "the server did not agree to " + peer_.alpn + " by ALPN" +
             (alpn().empty() ? std::string(" (it chose none)") : " (it chose " + alpn() + ")"));
    return state_;
  }
  verification_ = TlsVerification::Authenticated;
  state_ = TlsState::Ready;
  return state_;
}

size_t TlsSession::read(std::span<uint8_t> into) {
  if (state_ != TlsState::Ready || into.empty()) return 0;
  ERR_clear_error();
  const int n =
      SSL_read(ssl_.get(), into.data(), static_cast<int>(std::min<size_t>(into.size(), INT_MAX)));
  if (n > 0) return static_cast<size_t>(n);
  const int err = SSL_get_error(ssl_.get(), n);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return 0;
  if (err == SSL_ERROR_ZERO_RETURN) {
    state_ = TlsState::Closed;  // close_notify
    ERR_clear_error();
  } else {
    fail(verification_, with_words("TLS error"));
  }
  return 0;
}

bool TlsSession::write(std::span<const uint8_t> plaintext) {
  // The server's close_notify ends only its direction; what we still write it may read.
  const bool open = state_ == TlsState::Ready || (state_ == TlsState::Closed && !close_sent_ &&
                                                  verification_ == TlsVerification::Authenticated);
  if (!open || plaintext.size() > INT_MAX) return false;
  if (plaintext.empty()) return true;
  ERR_clear_error();
  const int n = SSL_write(ssl_.get(), plaintext.data(), static_cast<int>(plaintext.size()));
  if (n != static_cast<int>(plaintext.size())) {
    fail(verification_, with_words("TLS error"));
    return false;
  }
  return true;
}

std::vector<uint8_t> TlsSession::take_ciphertext() {
  std::vector<uint8_t> out;
  if (wbio_ == nullptr) return out;
  const size_t pending = BIO_ctrl_pending(wbio_);
  if (pending == 0 || pending > INT_MAX) return out;
  out.resize(pending);
  const int n = BIO_read(wbio_, out.data(), static_cast<int>(pending));
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

void TlsSession::close() {
  if (close_sent_ || !ssl_) return;
  close_sent_ = true;
  if (verification_ == TlsVerification::Authenticated && state_ != TlsState::Failed) {
    ERR_clear_error();
    SSL_shutdown(ssl_.get());  // close_notify, best effort
    ERR_clear_error();
  }
  if (state_ != TlsState::Failed) state_ = TlsState::Closed;
}

bool TlsSession::resumed() const { return ssl_ && SSL_session_reused(ssl_.get()) == 1; }

std::string TlsSession::version() const { return ssl_ ? SSL_get_version(ssl_.get()) : ""; }

}  // namespace dnsp::crypto
