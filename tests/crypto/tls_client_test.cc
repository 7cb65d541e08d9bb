// tests/crypto: the DNS-over-TLS client's TLS (crypto/tls_client.h) against a server made
// here with OpenSSL, the bytes pumped between the two in memory (no socket): SPKI pins (RFC
// 7858 §4.2), authentication by name (RFC 8310 §8.1) and the words for each refusal,
// plaintext both ways, close_notify, session resumption. Keys and certificates are made in
// the process (EC P-256), an expired one by dating it in the past.
#include "crypto/tls_client.h"

#include <doctest/doctest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "crypto/base64.h"
#include "crypto/openssl_ptr.h"

namespace dnsp::crypto::test {
namespace {

using Bytes = std::vector<uint8_t>;

using PkeyPtr = OpenSslPtr<EVP_PKEY, EVP_PKEY_free>;
using X509Ptr = OpenSslPtr<X509, X509_free>;
using SslCtxPtr = OpenSslPtr<SSL_CTX, SSL_CTX_free>;
using SslPtr = OpenSslPtr<SSL, SSL_free>;
using BioPtr = OpenSslPtr<BIO, BIO_free>;

PkeyPtr ec_key() { return PkeyPtr(EVP_EC_gen("P-256")); }

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  REQUIRE(ext != nullptr);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate for `name` (CN and subjectAltName), valid from `from_days` to `to_days`
// from now, issued by `issuer` (signed with `signer`), or self-signed when issuer is null.
X509Ptr certificate(EVP_PKEY* key, const std::string& name, X509* issuer, EVP_PKEY* signer,
                    long from_days, long to_days, bool is_ca) {
  static std::atomic<long> serial{1};
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), from_days * 86400);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), to_days * 86400);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
  X509* signed_by = issuer != nullptr ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signed_by));
  add_extension(cert.get(), signed_by, NID_basic_constraints,
                is_ca ? "critical,CA:TRUE" : "CA:FALSE");
  add_extension(cert.get(), signed_by, NID_subject_key_identifier, "hash");
  if (!name.empty() && name.find(' ') == std::string::npos) {
    add_extension(cert.get(), signed_by, NID_subject_alt_name, "DNS:" + name);
  }
  REQUIRE(X509_sign(cert.get(), signer != nullptr ? signer : key, EVP_sha256()) > 0);
  return cert;
}

std::string pem_of(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

// A file with `text` in it, removed with the object.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    static std::atomic<int> n{0};
    path_ = (std::filesystem::temp_directory_path() /
             ("dnsp-tls-client-test-" + std::to_string(getpid()) + "-" + std::to_string(n++)))
                .string();
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The keys and certificates the servers show, made once.
struct Pki {
  PkeyPtr ca_key = ec_key(), good_key = ec_key(), other_key = ec_key(), self_key = ec_key();
  X509Ptr ca = certificate(ca_key.get(), "dnssec-proxy test CA", nullptr, nullptr, -1, 30, true);
  X509Ptr good = certificate(good_key.get(), "dns.test", ca.get(), ca_key.get(), -1, 30, false);
  X509Ptr other = certificate(other_key.get(), "dns.other", ca.get(), ca_key.get(), -1, 30, false);
  X509Ptr expired =
      certificate(good_key.get(), "dns.test", ca.get(), ca_key.get(), -60, -30, false);
  X509Ptr self = certificate(self_key.get(), "dns.test", nullptr, nullptr, -1, 30, true);
  TempFile ca_file{pem_of(ca.get())};

  static Pki& get() {
    static Pki pki;
    return pki;
  }
};

// A TLS server in memory showing `cert` (with `key`).
class TestServer {
 public:
  TestServer(X509* cert, EVP_PKEY* key) : ctx_(SSL_CTX_new(TLS_server_method())) {
    REQUIRE(SSL_CTX_use_certificate(ctx_.get(), cert) == 1);
    REQUIRE(SSL_CTX_use_PrivateKey(ctx_.get(), key) == 1);
  }
  // A new connection (the context, and so its ticket keys, stays).
  void accept() {
    ssl_.reset(SSL_new(ctx_.get()));
    SSL_set_bio(ssl_.get(), BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
    SSL_set_accept_state(ssl_.get());
    plaintext.clear();
  }
  void receive(const Bytes& bytes) {
    if (!bytes.empty()) BIO_write(SSL_get_rbio(ssl_.get()), bytes.data(), int(bytes.size()));
    if (SSL_is_init_finished(ssl_.get()) == 0 && SSL_do_handshake(ssl_.get()) != 1) return;
    char buf[4096];
    int n = 0;
    while ((n = SSL_read(ssl_.get(), buf, sizeof buf)) > 0) plaintext.append(buf, size_t(n));
  }
  Bytes take() {
    BIO* out = SSL_get_wbio(ssl_.get());
    Bytes bytes(BIO_ctrl_pending(out));
    if (!bytes.empty()) BIO_read(out, bytes.data(), int(bytes.size()));
    return bytes;
  }
  void write(const std::string& text) { SSL_write(ssl_.get(), text.data(), int(text.size())); }
  void close_notify() { SSL_shutdown(ssl_.get()); }
  bool handshake_done() const { return SSL_is_init_finished(ssl_.get()) == 1; }

  std::string plaintext;  // what the client wrote

 private:
  SslCtxPtr ctx_;
  SslPtr ssl_;
};

// Moves bytes both ways until neither side has more to say; the client's plaintext (once
// Ready) is appended to `got`.
void pump(TlsSession& client, TestServer& server, std::string* got = nullptr) {
  for (int round = 0; round < 32; ++round) {
    client.handshake();
    Bytes to_server = client.take_ciphertext();
    server.receive(to_server);
    Bytes to_client = server.take();
    client.receive(to_client);
    client.handshake();
    uint8_t buf[4096];
    while (size_t n = client.read(buf)) {
      if (got != nullptr) got->append(reinterpret_cast<const char*>(buf), n);
    }
    if (to_server.empty() && to_client.empty()) return;
  }
  FAIL("the handshake did not settle in 32 rounds");
}

std::shared_ptr<TlsContext> context(const std::string& ca_file) {
  TlsContextResult made = TlsContext::make(ca_file);
  REQUIRE(made.error == TlsContextError::None);
  REQUIRE(made.context != nullptr);
  return made.context;
}

std::shared_ptr<TlsContext> test_ca_context() { return context(Pki::get().ca_file.path()); }

SpkiPin pin_from_base64(std::string_view text) {
  const auto bytes = base64_decode(text);
  REQUIRE(bytes.has_value());
  REQUIRE(bytes->size() == 32);
  SpkiPin pin{};
  std::copy(bytes->begin(), bytes->end(), pin.begin());
  return pin;
}

SpkiPin pin_of(X509* cert) {
  const auto pin = spki_pin_of_pem(pem_of(cert));
  REQUIRE(pin.has_value());
  return *pin;
}

// A client for `peer` against a server showing `cert`: the handshake's outcome.
struct Outcome {
  TlsState state;
  TlsVerification verification;
  std::string failure;
  size_t server_got = 0;  // plaintext octets the server received
};
Outcome connect(const std::shared_ptr<TlsContext>& ctx, TlsPeer peer, X509* cert, EVP_PKEY* key) {
  TestServer server(cert, key);
  server.accept();
  TlsSession client(ctx, std::move(peer));
  pump(client, server);
  (void)client.write(Bytes{0, 2, 'h', 'i'});  // refused sessions write nothing
  server.receive(client.take_ciphertext());
  return {client.state(), client.verification(), client.failure(), server.plaintext.size()};
}

TEST_CASE("tls_client: the SPKI pin is the SHA-256 of the certificate's SubjectPublicKeyInfo") {
  // Made and pinned with the openssl CLI (RFC 7858 §4.2 and config/load.cc say how):
  //   openssl x509 -pubkey -noout | openssl pkey -pubin -outform der |
  //   openssl dgst -sha256 -binary | base64
  const std::string pem =
      "-----BEGIN CERTIFICATE-----\n"
      "MIIBkjCCATigAwIBAgIUewSjyLVsIO9FCdMgVtDK2lLiJscwCgYIKoZIzj0EAwIw\n"
      "EzERMA8GA1UEAwwIZG5zLnRlc3QwIBcNMjYxMjA1MDc0OTM1WhgPMjEyNjExMTEw\n"
      "NzQ5MzVaMBMxETAPBgNVBAMMCGRucy50ZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0D\n"
      "AQcDQgAEm5pTrbSwHkfBf6wMFThczbZa0ZHkp/Nz5Edkd758+r4YYbvVhzacyI1v\n"
      "MmE5JcZrqt75C5+Wif71U0lqHL+Uo6NoMGYwHQYDVR0OBBYEFJHN41UYkJ0o08xQ\n"
      "XF/nsVHwZXA5MB8GA1UdIwQYMBaAFJHN41UYkJ0o08xQXF/nsVHwZXA5MA8GA1Ud\n"
      "EwEB/wQFMAMBAf8wEwYDVR0RBAwwCoIIZG5zLnRlc3QwCgYIKoZIzj0EAwIDSAAw\n"
      "RQIgDk+p3dRqjtj8RgxGNzgdDt1m22+ggy0CBgWYrDFJAFoCIQCTDDgVf/l6dOpb\n"
      "pcEW+EvrV1/LigLHyM9L53d7ZfLjow==\n"
      "-----END CERTIFICATE-----\n";
  const auto pin = spki_pin_of_pem(pem);
  REQUIRE(pin.has_value());
  CHECK(*pin == pin_from_base64("LfUVC9IGI38MXgM53mJoMXW+qEKknW3Bq+6mtzh4ssA="));
  CHECK_FALSE(spki_pin_of_pem("not a certificate").has_value());
}

TEST_CASE("tls_client: a certificate valid for the name authenticates; plaintext both ways") {
  auto& pki = Pki::get();
  TestServer server(pki.good.get(), pki.good_key.get());
  server.accept();
  TlsSession client(test_ca_context(), TlsPeer{"dns.test", {}, ""});
  CHECK(client.state() == TlsState::Handshaking);
  CHECK(client.verification() == TlsVerification::Pending);
  pump(client, server);
  REQUIRE(client.state() == TlsState::Ready);
  CHECK(client.verification() == TlsVerification::Authenticated);
  CHECK(client.failure().empty());
  CHECK(client.version() == "TLSv1.3");
  CHECK(client.write(Bytes{'q', 'u', 'e', 'r', 'y'}));
  server.receive(client.take_ciphertext());
  CHECK(server.plaintext == "query");
  server.write("reply");
  server.close_notify();
  client.receive(server.take());
  std::string got;
  uint8_t buf[2];  // smaller than the reply: read() hands it out in pieces
  while (size_t n = client.read(buf)) got.append(reinterpret_cast<const char*>(buf), n);
  CHECK(got == "reply");
  CHECK(client.state() == TlsState::Closed);  // the server's close_notify
}

TEST_CASE("tls_client: refusals say why in words (name, expiry, self-signed, CA)") {
  auto& pki = Pki::get();
  const auto ctx = test_ca_context();
  SUBCASE("a certificate for another name") {
    const Outcome o = connect(ctx, {"dns.other", {}, ""}, pki.good.get(), pki.good_key.get());
    CHECK(o.state == TlsState::Failed);
    CHECK(o.verification == TlsVerification::NameMismatch);
    CHECK(o.failure ==
          "certificate name dns.other does not match (the certificate is for dns.test)");
    CHECK(o.server_got == 0);
  }
  SUBCASE("a certificate another name's view refuses") {
    const Outcome o = connect(ctx, {"dns.test", {}, ""}, pki.other.get(), pki.other_key.get());
    CHECK(o.verification == TlsVerification::NameMismatch);
    CHECK(o.failure ==
          "certificate name dns.test does not match (the certificate is for dns.other)");
  }
  SUBCASE("an expired certificate") {
    const Outcome o = connect(ctx, {"dns.test", {}, ""}, pki.expired.get(), pki.good_key.get());
    CHECK(o.verification == TlsVerification::Expired);
    CHECK(o.failure.rfind("certificate expired 20", 0) == 0);
    CHECK(o.failure.size() == std::string("certificate expired 2026-11-01T00:00:00Z").size());
    CHECK(o.server_got == 0);
  }
  SUBCASE("a self-signed certificate") {
    const Outcome o = connect(ctx, {"dns.test", {}, ""}, pki.self.get(), pki.self_key.get());
    CHECK(o.verification == TlsVerification::SelfSigned);
    CHECK(o.failure == "self-signed certificate (not issued by a trusted CA)");
  }
  SUBCASE("a CA store without the issuer (the system store)") {
    const Outcome o =
        connect(context(""), {"dns.test", {}, ""}, pki.good.get(), pki.good_key.get());
    CHECK(o.verification == TlsVerification::UntrustedIssuer);
    CHECK(o.failure == "certificate not issued by a trusted CA");
  }
}

TEST_CASE("tls_client: SPKI pins authenticate without a CA; a pin mismatch is refused") {
  auto& pki = Pki::get();
  const auto system_store = context("");  // the test CA is not in it: pins alone decide
  SUBCASE("the server's key pinned, no name") {
    const Outcome o =
        connect(system_store, {"", {pin_of(pki.other.get()), pin_of(pki.self.get())}, ""},
                pki.self.get(), pki.self_key.get());
    CHECK(o.state == TlsState::Ready);
    CHECK(o.verification == TlsVerification::Authenticated);
    CHECK(o.server_got == 4);
  }
  SUBCASE("another key pinned") {
    const Outcome o = connect(system_store, {"", {pin_of(pki.other.get())}, ""}, pki.good.get(),
                              pki.good_key.get());
    CHECK(o.state == TlsState::Failed);
    CHECK(o.verification == TlsVerification::PinMismatch);
    CHECK(o.failure == "SPKI pin mismatch (no key the server shows matches spki_pins)");
    CHECK(o.server_got == 0);  // nothing written after the handshake
  }
  SUBCASE("name and pin: both must hold") {
    const Outcome o = connect(test_ca_context(), {"dns.test", {pin_of(pki.other.get())}, ""},
                              pki.good.get(), pki.good_key.get());
    CHECK(o.verification == TlsVerification::PinMismatch);
  }
}

TEST_CASE("tls_client: the second session to a server resumes the first") {
  auto& pki = Pki::get();
  const auto ctx = test_ca_context();
  TestServer server(pki.good.get(), pki.good_key.get());
  const TlsPeer peer{"dns.test", {}, "tls://127.0.0.1:853#dns.test"};
  server.accept();
  TlsSession first(ctx, peer);
  pump(first, server);  // TLS 1.3: the ticket arrives after the handshake, read() takes it
  REQUIRE(first.state() == TlsState::Ready);
  CHECK_FALSE(first.resumed());
  CHECK(ctx->sessions_kept() == 1);
  server.accept();
  TlsSession second(ctx, peer);
  pump(second, server);
  REQUIRE(second.state() == TlsState::Ready);
  CHECK(second.resumed());
  // Another key does not resume it.
  server.accept();
  TlsSession other(ctx, TlsPeer{"dns.test", {}, "another"});
  pump(other, server);
  CHECK_FALSE(other.resumed());
}

TEST_CASE("tls_client: a CA file that cannot be read is an error, not an empty store") {
  const TlsContextResult missing = TlsContext::make("/nonexistent/ca.pem");
  CHECK(missing.error == TlsContextError::CaFileUnreadable);
  CHECK(missing.context == nullptr);
  const TempFile not_pem("not a certificate\n");
  CHECK(TlsContext::make(not_pem.path()).error == TlsContextError::CaFileUnreadable);
  CHECK(TlsContext::make(Pki::get().ca_file.path()).error == TlsContextError::None);
}

}  // namespace
}  // namespace dnsp::crypto::test
