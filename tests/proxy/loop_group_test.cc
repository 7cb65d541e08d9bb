// tests/proxy: LoopGroup (proxy/loop_group.h), the flights coalesced across event loops:
// a loop that parks queries behind another loop's flight is notified when it lands, for
// any number of loops.
#include "proxy/loop_group.h"

#include <doctest/doctest.h>

#include <vector>

#include "resolver/wire/name.h"

namespace dnsp::proxy {
namespace {

resolver::CacheKey key_for(const char* name) {
  return resolver::CacheKey{*resolver::Name::from_text(name), resolver::RRType::A, 0};
}

// Attaches woken.size() loops to `group`; woken[i] counts the notifications of loop i.
void attach_counting(LoopGroup& group, std::vector<int>& woken) {
  for (size_t i = 0; i < woken.size(); ++i) {
    group.attach(i, [&woken, i](const resolver::CacheKey&) { ++woken[i]; });
  }
}

}  // namespace

TEST_CASE("loop group: with 100 loops, a query parked on loop 70 is woken when the flight lands") {
  LoopGroup group;
  std::vector<int> woken(100, 0);
  attach_counting(group, woken);
  const auto key = key_for("www.example.test.");
  CHECK(group.claim(key, 3) == LoopGroup::Claim::Lead);
  CHECK(group.claim(key, 70) == LoopGroup::Claim::Elsewhere);
  CHECK(group.claim(key, 99) == LoopGroup::Claim::Elsewhere);
  CHECK(group.claim(key, 64) == LoopGroup::Claim::Elsewhere);
  group.land(key);
  for (size_t i = 0; i < woken.size(); ++i) {
    CAPTURE(i);
    CHECK(woken[i] == (i == 70 || i == 99 || i == 64 ? 1 : 0));
  }
  // Landed: the next claim leads, and nobody is notified twice.
  CHECK(group.claim(key, 70) == LoopGroup::Claim::Lead);
  group.land(key);
  CHECK(woken[70] == 1);
}

TEST_CASE("loop group: a loop that leads above 64 is followed by loop 0") {
  LoopGroup group;
  std::vector<int> woken(80, 0);
  attach_counting(group, woken);
  const auto key = key_for("a.example.test.");
  CHECK(group.claim(key, 77) == LoopGroup::Claim::Lead);
  CHECK(group.claim(key, 77) == LoopGroup::Claim::Lead);  // its own flight
  CHECK(group.claim(key, 0) == LoopGroup::Claim::Elsewhere);
  group.land(key);
  CHECK(woken[0] == 1);
  CHECK(woken[77] == 0);
  CHECK(woken[13] == 0);
}

}  // namespace dnsp::proxy
