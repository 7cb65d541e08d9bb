// tests/resolver/cache/hot_path_alloc_test.cc: a cache hit allocates nothing (issue 5, "no
// allocation per query on that path"). This binary replaces the global operator new with
// one that counts, so it is its own executable (ctest: hot_path). It runs what
// Server::handle_query does for a hit: check_query() on the packet, then
// AnswerCache::lookup() into a reused buffer.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "resolver/cache/answer_cache.h"
#include "resolver/serve/client_query.h"
#include "resolver/serve/replies.h"
#include "resolver/wire/message_builder.h"

namespace {
std::atomic<size_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace dnsp::resolver {
namespace {

std::vector<uint8_t> query_packet(const std::string& name, uint16_t id, bool edns) {
  MessageBuilder b;
  b.set_header(id, flag::kRD);
  (void)b.add_question(*Name::from_text(name), RRType::A, RRClass::IN);
  if (edns) {
    EdnsOut e;
    e.flags = kEdnsDo;
    (void)b.add_opt(e);
  }
  return b.finish();
}

std::vector<uint8_t> reply_for(const ClientQuery& q) {
  MessageBuilder up;
  up.set_header(1, flag::kQR | flag::kRA);
  (void)up.add_question(q.question.name, RRType::A, RRClass::IN);
  const uint8_t addr[] = {192, 0, 2, 1};
  (void)up.add_record(Section::Answer, q.question.name, RRType::A, RRClass::IN, 300, addr);
  const auto packet = up.finish();  // the Message views it
  auto msg = Message::parse(packet);
  REQUIRE(msg);
  return forward_reply(q, *msg, AdBit::Set, 65535, nullptr);
}

TEST_CASE("hot path: check_query + AnswerCache::lookup of a hit allocate nothing") {
  AnswerCache cache;
  std::vector<std::vector<uint8_t>> packets;
  for (bool edns : {true, false}) {
    const auto p = query_packet("www.example.test", 1, edns);
    auto check = check_query(p);
    REQUIRE(std::holds_alternative<ClientQuery>(check));
    const auto& q = std::get<ClientQuery>(check);
    cache.store(q, reply_for(q), Security::Secure, 0, 0, 1000);
    // The same question in other letter cases and IDs, as clients send it.
    packets.push_back(query_packet("WWW.example.TEST", 0x1234, edns));
    packets.push_back(query_packet("www.Example.test", 0x4321, edns));
  }
  std::vector<uint8_t> out;
  out.reserve(512);  // the server's hit buffer, warm after its first hit
  const size_t before = g_allocations.load();
  size_t hits = 0;
  for (int round = 0; round < 1000; ++round) {
    for (const auto& p : packets) {
      auto check = check_query(p);
      const auto* q = std::get_if<ClientQuery>(&check);
      if (q == nullptr) continue;
      if (cache.lookup(*q, p, 1232, 2000 + static_cast<uint64_t>(round), out) != CacheLookup::Miss)
        ++hits;
    }
  }
  const size_t allocations = g_allocations.load() - before;
  CHECK(hits == 4000);
  CHECK(allocations == 0);
  // And the reply is the cached one, patched for the last client.
  auto m = Message::parse(out);
  REQUIRE(m);
  CHECK(m->id() == 0x4321);
  CHECK(m->questions()[0].name.to_string() == "www.Example.test.");
}

}  // namespace
}  // namespace dnsp::resolver
