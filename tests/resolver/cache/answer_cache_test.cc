// tests/resolver/cache/answer_cache_test.cc: the answer cache keeps replies as wire bytes,
// patches them per client, counts TTLs down, and stays within its byte budget (LRU).
#include "resolver/cache/answer_cache.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "resolver/serve/client_query.h"
#include "resolver/serve/replies.h"
#include "resolver/wire/message_builder.h"

namespace dnsp::resolver {
namespace {

// lookup() as hit or miss; with `refresh`, also notes (sets, never clears) that the hit asked
// for a refresh of the entry.
bool found(CacheLookup r) { return r != CacheLookup::Miss; }
bool found(CacheLookup r, bool& refresh) {
  if (r == CacheLookup::HitRefresh) refresh = true;
  return found(r);
}

std::vector<uint8_t> query_packet(const std::string& name, uint16_t id) {
  MessageBuilder b;
  b.set_header(id, flag::kRD);
  (void)b.add_question(*Name::from_text(name), RRType::A, RRClass::IN);
  EdnsOut e;
  e.flags = kEdnsDo;
  (void)b.add_opt(e);
  return b.finish();
}

ClientQuery client(const std::vector<uint8_t>& packet) {
  auto check = check_query(packet);
  REQUIRE(std::holds_alternative<ClientQuery>(check));
  return std::get<ClientQuery>(check);
}

// The reply forward_reply builds for `q` from an upstream answer with one A record.
std::vector<uint8_t> reply_for(const ClientQuery& q, uint32_t ttl) {
  MessageBuilder up;
  up.set_header(1, flag::kQR | flag::kRA);
  (void)up.add_question(q.question.name, RRType::A, RRClass::IN);
  const uint8_t addr[] = {192, 0, 2, 1};
  (void)up.add_record(Section::Answer, q.question.name, RRType::A, RRClass::IN, ttl, addr);
  auto packet = up.finish();
  auto msg = Message::parse(packet);
  REQUIRE(msg);
  return forward_reply(q, *msg, AdBit::Set, 65535, nullptr);
}

TEST_CASE("answer cache: a hit carries the client's ID and case, AD, and TTLs counted down") {
  AnswerCache cache;
  const auto p1 = query_packet("www.example.test", 1);
  const auto q1 = client(p1);
  cache.store(q1, reply_for(q1, 300), Security::Secure, 0, 0, 1000);
  const auto p2 = query_packet("WWW.Example.TEST", 2);
  std::vector<uint8_t> out;
  REQUIRE(found(cache.lookup(client(p2), p2, 1232, 3500, out)));
  auto m = Message::parse(out);
  REQUIRE(m);
  CHECK(m->id() == 2);
  CHECK(m->has_flag(flag::kAD));
  CHECK(m->questions()[0].name.to_string() == "WWW.Example.TEST.");
  REQUIRE(m->records().size() == 1);
  CHECK(m->records()[0].ttl == 298);
  CHECK_FALSE(found(cache.lookup(client(p2), p2, 1232, 1000 + 301 * 1000, out)));  // expired
}

TEST_CASE("answer cache: the signatures' expiration bounds the TTL (RFC 4035 §5.3.3)") {
  AnswerCache cache;
  const auto p = query_packet("www.example.test", 1);
  const auto q = client(p);
  // Valid for 10 more seconds of wall-clock time although the record says 300.
  cache.store(q, reply_for(q, 300), Security::Secure, 1010, 1000, 0);
  std::vector<uint8_t> out;
  CHECK(found(cache.lookup(q, p, 1232, 9000, out)));
  CHECK_FALSE(found(cache.lookup(q, p, 1232, 10001, out)));
}

TEST_CASE("answer cache: stays within max_bytes, evicting the least recently used") {
  AnswerCacheLimits limits;
  limits.max_bytes = 8192;
  AnswerCache cache(limits);
  std::vector<std::vector<uint8_t>> packets;
  for (int i = 0; i < 100; ++i) {
    packets.push_back(query_packet("n" + std::to_string(i) + ".example.test", 1));
    const auto q = client(packets.back());
    cache.store(q, reply_for(q, 300), Security::Secure, 0, 0, 0);
    CHECK(cache.bytes() <= limits.max_bytes);
  }
  CHECK(cache.entries() < 100);
  CHECK(cache.entries() > 5);
  std::vector<uint8_t> out;
  CHECK(found(cache.lookup(client(packets[99]), packets[99], 1232, 1, out)));      // newest kept
  CHECK_FALSE(found(cache.lookup(client(packets[0]), packets[0], 1232, 1, out)));  // oldest gone
}

TEST_CASE("answer cache: a bogus verdict is replayed as SERVFAIL with its EDE, then expires") {
  AnswerCache cache;
  const auto p = query_packet("www.badsig.test", 9);
  const auto q = client(p);
  cache.store_bogus(q, ExtendedError{EdeCode::DnssecBogus, "badsig.test.: bad"}, 0);
  std::vector<uint8_t> out;
  REQUIRE(found(cache.lookup(q, p, 1232, 59000, out)));
  auto m = Message::parse(out);
  REQUIRE(m);
  CHECK(m->rcode() == RCode::ServFail);
  CHECK(m->id() == 9);
  CHECK_FALSE(found(cache.lookup(q, p, 1232, 60001, out)));
}

// The EDE info code a reply carries, or -1.
int ede_of(const Message& m) {
  for (const auto& o : m.edns_options()) {
    if (o.code == kEdnsOptionEde && o.data.size() >= 2) return o.data[0] << 8 | o.data[1];
  }
  return -1;
}

TEST_CASE("answer cache: an operator's flush drops one name, or every bogus verdict") {
  AnswerCache cache;
  const auto pw = query_packet("www.example.test", 1);
  const auto pm = query_packet("mail.example.test", 2);
  const auto pb = query_packet("www.badsig.test", 3);
  cache.store(client(pw), reply_for(client(pw), 300), Security::Secure, 0, 0, 0);
  cache.store(client(pm), reply_for(client(pm), 300), Security::Secure, 0, 0, 0);
  cache.store_bogus(client(pb), ExtendedError{EdeCode::DnssecBogus, "badsig.test.: bad"}, 0);
  CHECK(cache.entries() == 3);
  CHECK(cache.clear_name(*Name::from_text("WWW.example.test.")) == 1);  // case-insensitive
  CHECK(cache.clear_name(*Name::from_text("example.test.")) == 0);      // not below it
  std::vector<uint8_t> out;
  CHECK_FALSE(found(cache.lookup(client(pw), pw, 1232, 1000, out)));
  CHECK(found(cache.lookup(client(pm), pm, 1232, 1000, out)));
  CHECK(cache.clear_bogus() == 1);
  CHECK_FALSE(found(cache.lookup(client(pb), pb, 1232, 1000, out)));
  CHECK(found(cache.lookup(client(pm), pm, 1232, 1000, out)));  // secure answers stay
  CHECK(cache.entries() == 1);
}

TEST_CASE("answer cache: serve-stale gives an expired answer with TTL 30 and EDE 3 (RFC 8767)") {
  AnswerCacheLimits limits;
  limits.stale_window = 3600;
  AnswerCache cache(limits);
  const auto p = query_packet("www.example.test", 1);
  const auto q = client(p);
  cache.store(q, reply_for(q, 300), Security::Secure, 0, 0, 0);
  std::vector<uint8_t> out;
  // Expired: a normal lookup misses but keeps the entry for the stale window.
  CHECK_FALSE(found(cache.lookup(q, p, 1232, 301000, out)));
  CHECK(cache.entries() == 1);
  const auto p2 = query_packet("WWW.example.test", 7);
  REQUIRE(cache.lookup_stale(client(p2), 1232, 400000, out));
  auto m = Message::parse(out);
  REQUIRE(m);
  CHECK(m->id() == 7);
  CHECK(m->rcode() == RCode::NoError);
  CHECK(m->has_flag(flag::kAD));
  CHECK(m->questions()[0].name.to_string() == "WWW.example.test.");
  REQUIRE(m->records().size() == 1);
  CHECK(m->records()[0].ttl == kStaleAnswerTtl);
  CHECK(ede_of(*m) == static_cast<int>(EdeCode::StaleAnswer));
  // Past the window: gone.
  CHECK_FALSE(cache.lookup_stale(q, 1232, 300000 + 3600000 + 1, out));
  CHECK_FALSE(found(cache.lookup(q, p, 1232, 300000 + 3600000 + 1, out)));
  CHECK(cache.entries() == 0);
}

TEST_CASE("answer cache: no stale answers when serve-stale is off, or for bogus verdicts") {
  AnswerCache off;
  const auto p = query_packet("www.example.test", 1);
  const auto q = client(p);
  off.store(q, reply_for(q, 300), Security::Secure, 0, 0, 0);
  std::vector<uint8_t> out;
  CHECK_FALSE(found(off.lookup(q, p, 1232, 301000, out)));
  CHECK_FALSE(off.lookup_stale(q, 1232, 301000, out));
  CHECK(off.entries() == 0);  // dropped when met expired
  AnswerCacheLimits limits;
  limits.stale_window = 3600;
  AnswerCache on(limits);
  on.store_bogus(q, ExtendedError{EdeCode::DnssecBogus, "x.: bad"}, 0);
  CHECK_FALSE(on.lookup_stale(q, 1232, 61000, out));
}

TEST_CASE("answer cache: a popular entry asks for one prefetch in the last tenth of its TTL") {
  AnswerCacheLimits limits;
  limits.prefetch = true;
  AnswerCache cache(limits);
  const auto p = query_packet("www.example.test", 1);
  const auto q = client(p);
  cache.store(q, reply_for(q, 100), Security::Secure, 0, 0, 0);
  std::vector<uint8_t> out;
  bool refresh = false;
  REQUIRE(found(cache.lookup(q, p, 1232, 50000, out), refresh));  // first hit: not yet popular
  CHECK_FALSE(refresh);
  REQUIRE(found(cache.lookup(q, p, 1232, 89000, out), refresh));  // 11 s of 100 left
  CHECK_FALSE(refresh);
  REQUIRE(found(cache.lookup(q, p, 1232, 91000, out), refresh));  // 9 s left: refresh
  CHECK(refresh);
  refresh = false;
  REQUIRE(found(cache.lookup(q, p, 1232, 95000, out), refresh));  // asked once only
  CHECK_FALSE(refresh);
  // A new answer stored (the refresh) may ask again near its own end.
  cache.store(q, reply_for(q, 100), Security::Secure, 0, 0, 96000);
  REQUIRE(found(cache.lookup(q, p, 1232, 100000, out), refresh));
  REQUIRE(found(cache.lookup(q, p, 1232, 187000, out), refresh));
  CHECK(refresh);
  // Off: never.
  AnswerCache plain;
  plain.store(q, reply_for(q, 100), Security::Secure, 0, 0, 0);
  refresh = false;
  REQUIRE(found(plain.lookup(q, p, 1232, 10, out), refresh));
  REQUIRE(found(plain.lookup(q, p, 1232, 95000, out), refresh));
  CHECK_FALSE(refresh);
}

}  // namespace
}  // namespace dnsp::resolver
