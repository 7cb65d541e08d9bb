// tests/proxy/query_log_test.cc: [log] queries (proxy/query_log.h): the per-second limit on
// lines, with the clock injected, and what one line says about a reply.
#include "proxy/query_log.h"

#include <doctest/doctest.h>

#include <vector>

namespace dnsp::proxy {
namespace {

TEST_CASE("query log: at most N lines a second, then counted, and the count reported once") {
  QueryLogLimiter limiter(2);
  CHECK(limiter.admit(10000).write);
  CHECK(limiter.admit(10100).write);
  CHECK_FALSE(limiter.admit(10200).write);
  CHECK_FALSE(limiter.admit(10999).write);
  // A new second: written, preceded by the count of the two suppressed.
  const auto next = limiter.admit(11000);
  CHECK(next.write);
  CHECK(next.suppressed == 2);
  const auto after = limiter.admit(11001);
  CHECK(after.write);
  CHECK(after.suppressed == 0);  // reported once
}

TEST_CASE("query log: a rate of 1 writes one line a second") {
  QueryLogLimiter limiter(1);
  CHECK(limiter.admit(5000).write);
  CHECK_FALSE(limiter.admit(5500).write);
  CHECK(limiter.admit(6000).suppressed == 1);
  limiter.set_rate(3);
  CHECK(limiter.admit(6001).write);
  CHECK(limiter.admit(6002).write);
  CHECK_FALSE(limiter.admit(6003).write);
}

TEST_CASE("query log: the line names the question, rcode, AD, cache, upstream, time and EDE") {
  // A SERVFAIL reply to www.example.test A with AD clear and EDE 22 in its OPT record.
  const std::vector<uint8_t> reply = {0x12, 0x34, 0x81, 0x82, 0,    1,   0,   0,    0,
                                      0,    0,    1,  // header
                                      3,    'w',  'w',  'w',  7,    'e', 'x', 'a',  'm',
                                      'p',  'l',  'e',  4,    't',  'e', 's', 't',  0,
                                      0,    1,    0,    1,  // A IN
                                      0,    0,    41,   0x04, 0xd0, 0,   0,   0x80, 0,
                                      0,    6,    0,    15,   0,    2,   0,   22};  // OPT, EDE 22
  QueryLogContext c{"127.0.0.1:40321", false, "127.0.0.1:5300", 812};
  const auto line = query_log_line(reply, c);
  REQUIRE(line);
  CHECK(*line ==
        "event=query client=127.0.0.1:40321 qname=www.example.test. qtype=A rcode=SERVFAIL ad=0 "
        "cache=miss upstream=127.0.0.1:5300 us=812 ede=22");
  std::vector<uint8_t> secure = reply;
  secure[3] = 0xa0;  // RA, AD, NOERROR
  secure.resize(secure.size() - 6);
  secure[secure.size() - 1] = 0;  // OPT without options
  const auto hit = query_log_line(secure, {"tcp:[::1]:5353", true, "-", 3});
  REQUIRE(hit);
  CHECK(*hit ==
        "event=query client=tcp:[::1]:5353 qname=www.example.test. qtype=A rcode=NOERROR ad=1 "
        "cache=hit upstream=- us=3 ede=-");
  CHECK_FALSE(query_log_line(std::vector<uint8_t>{1, 2, 3}, c));
}

}  // namespace
}  // namespace dnsp::proxy
