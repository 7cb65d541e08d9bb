#include "mock_upstream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "resolver/wire/ascii.h"
#include "resolver/wire/message_builder.h"

namespace dnsp::test {
namespace {

using namespace dnsp::resolver;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(ascii_lower(static_cast<uint8_t>(c)));
  return s;
}

}  // namespace

MockUpstream::MockUpstream() {
  udp_fd_ = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // Find a port free for both UDP and TCP.
  for (int attempt = 0; attempt < 50; ++attempt) {
    a.sin_port = 0;
    if (bind(udp_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      throw std::runtime_error("mock: bind udp");
    socklen_t len = sizeof a;
    getsockname(udp_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    tcp_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(tcp_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(tcp_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) break;
    close(tcp_fd_);
    close(udp_fd_);
    tcp_fd_ = -1;
    udp_fd_ = socket(AF_INET, SOCK_DGRAM, 0);
  }
  if (tcp_fd_ < 0) throw std::runtime_error("mock: no free port");
  listen(tcp_fd_, 16);
  port_ = ntohs(a.sin_port);
  // Where forged replies come from: another port of 127.0.0.1, and 127.0.0.2 (the same
  // port when it is free there).
  other_port_fd_ = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in o{};
  o.sin_family = AF_INET;
  o.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(other_port_fd_, reinterpret_cast<sockaddr*>(&o), sizeof o);
  other_addr_fd_ = socket(AF_INET, SOCK_DGRAM, 0);
  o.sin_addr.s_addr = htonl(0x7F000002);
  o.sin_port = a.sin_port;
  if (bind(other_addr_fd_, reinterpret_cast<sockaddr*>(&o), sizeof o) != 0) {
    o.sin_port = 0;
    bind(other_addr_fd_, reinterpret_cast<sockaddr*>(&o), sizeof o);
  }
  thread_ = std::thread([this] { run(); });
}

MockUpstream::~MockUpstream() {
  stop_ = true;
  thread_.join();
  close(udp_fd_);
  close(tcp_fd_);
  close(other_port_fd_);
  close(other_addr_fd_);
}

// How rules and counts are keyed: lower case, with the final dot.
static std::pair<std::string, uint16_t> question_key(const std::string& qname, RRType qtype) {
  std::string key = lower(qname);
  if (key.empty() || key.back() != '.') key += '.';
  return {key, to_u16(qtype)};
}

void MockUpstream::set_rule(const std::string& qname, RRType qtype, MockRule rule) {
  std::lock_guard lock(mu_);
  rules_[question_key(qname, qtype)] = std::move(rule);
}

std::optional<std::vector<uint8_t>> MockUpstream::answer(std::span<const uint8_t> query, bool tcp,
                                                         int& delay_ms,
                                                         std::vector<Forged>* forged) {
  auto msg = Message::parse(query);
  if (!msg || msg->questions().size() != 1) return std::nullopt;
  (tcp ? tcp_queries_ : udp_queries_)++;
  last_do_ = msg->edns() && msg->edns()->dnssec_ok();
  last_cd_ = msg->has_flag(flag::kCD);
  if (!msg->edns()) ++queries_without_edns_;
  const Question& q = msg->questions()[0];
  MockRule rule;
  {
    std::lock_guard lock(mu_);
    const auto key = question_key(q.name.to_string(), q.type);
    ++asked_[key];
    auto it = rules_.find(key);
    if (it != rules_.end()) {
      rule = it->second;
    } else if (default_silent_) {
      rule.silent = true;
    } else {
      rule.rcode = RCode::NXDomain;
    }
  }
  if (rule.silent || (drop_cd_ && msg->has_flag(flag::kCD))) return std::nullopt;
  if (!tcp && strip_rrsig_udp_) {
    std::erase_if(rule.answer, [](const MockRecord& r) { return r.type == RRType::RRSIG; });
    std::erase_if(rule.authority, [](const MockRecord& r) { return r.type == RRType::RRSIG; });
  }
  if (rule.formerr_on_edns && msg->edns()) {
    MessageBuilder b(512);
    b.set_header(msg->id(), flag::kQR | flag::kRA | (msg->flags() & (flag::kRD | flag::kCD)) |
                                static_cast<uint16_t>(RCode::FormErr));
    (void)b.add_question(q.name, q.type, q.klass);
    return b.finish();
  }
  delay_ms = tcp && rule.tcp_delay_ms >= 0 ? rule.tcp_delay_ms : rule.delay_ms;
  const size_t limit =
      tcp ? 65535 : (msg->edns() && !udp_limit_512_ ? msg->edns()->udp_payload : 512);
  auto build = [&](bool truncate, uint16_t id, const Name& qname,
                   const std::vector<MockRecord>* answer_override) {
    MessageBuilder b(65535);
    uint16_t flags = flag::kQR | flag::kRA | (msg->flags() & (flag::kRD | flag::kCD)) |
                     static_cast<uint16_t>(rule.rcode);
    if (truncate) flags |= flag::kTC;
    b.set_header(id, flags);
    (void)b.add_question(qname, q.type, q.klass);
    if (answer_override != nullptr) {
      for (const auto& r : *answer_override)
        (void)b.add_record(Section::Answer, qname, r.type, RRClass::IN, r.ttl, r.rdata);
    } else if (!truncate) {
      for (const auto& r : rule.answer)
        (void)b.add_record(Section::Answer, *Name::from_text(r.owner), r.type, RRClass::IN, r.ttl,
                           r.rdata);
      for (const auto& r : rule.authority)
        (void)b.add_record(Section::Authority, *Name::from_text(r.owner), r.type, RRClass::IN,
                           r.ttl, r.rdata);
    }
    if (msg->edns()) {
      EdnsOut opt;
      opt.flags = msg->edns()->flags & kEdnsDo;
      (void)b.add_opt(opt);
    }
    return b.finish();
  };
  if (!tcp && forged != nullptr && rule.forge_first != MockRule::Forgery::None) {
    const std::vector<MockRecord> bad{{"", RRType::A, 300, a_rdata("203.0.113.66")}};
    const bool wrong_id = rule.forge_first == MockRule::Forgery::WrongId;
    const bool wrong_q = rule.forge_first == MockRule::Forgery::WrongQuestion;
    const Name other = *Name::from_text("forged.invalid.");
    forged->push_back(
        {build(false, wrong_id ? static_cast<uint16_t>(msg->id() ^ 0x5A5A) : msg->id(),
               wrong_q ? other : q.name, &bad),
         rule.forge_first});
    delay_ms = std::max(delay_ms, 100);
  }
  auto packet = build(rule.tc_always, msg->id(), q.name, nullptr);
  if (packet.size() > limit) packet = build(true, msg->id(), q.name, nullptr);
  if (rule.garbage) {
    // Random octets behind the right ID: past c-ares's ID check, failing its question check.
    std::vector<uint8_t> junk(12 + static_cast<size_t>(std::rand() % 200));
    for (auto& o : junk) o = static_cast<uint8_t>(std::rand());
    junk[0] = packet[0];
    junk[1] = packet[1];
    junk[2] |= 0x80;  // QR
    packet = std::move(junk);
  }
  if (rule.truncate_to > 0 && packet.size() > rule.truncate_to) packet.resize(rule.truncate_to);
  return packet;
}

int MockUpstream::queries_for(const std::string& qname, RRType qtype) const {
  std::lock_guard lock(mu_);
  auto it = asked_.find(question_key(qname, qtype));
  return it == asked_.end() ? 0 : it->second;
}

void MockUpstream::run() {
  std::vector<int> conns;
  std::map<int, std::vector<uint8_t>> inbufs;
  while (!stop_) {
    open_tcp_ = static_cast<int>(conns.size());
    const short udp_events = tcp_blocks_udp_ && !conns.empty() ? 0 : POLLIN;
    std::vector<pollfd> fds{{udp_fd_, udp_events, 0}, {tcp_fd_, POLLIN, 0}};
    for (int c : conns) fds.push_back({c, POLLIN, 0});
    int timeout = 20;
    const int64_t now = now_ms();
    for (const auto& p : pending_)
      timeout = std::min<int>(timeout, static_cast<int>(std::max<int64_t>(0, p.due_ms - now)));
    poll(fds.data(), fds.size(), timeout);
    if (fds[0].revents & POLLIN) {
      uint8_t buf[65536];
      sockaddr_storage from{};
      socklen_t flen = sizeof from;
      const ssize_t n =
          recvfrom(udp_fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
      int delay = 0;
      if (n > 0) {
        if (n >= 2) {
          std::lock_guard lock(mu_);
          udp_sources_.emplace_back(ntohs(reinterpret_cast<sockaddr_in*>(&from)->sin_port),
                                    static_cast<uint16_t>(buf[0] << 8 | buf[1]));
        }
        std::vector<Forged> forged;
        const auto* fb = reinterpret_cast<const uint8_t*>(&from);
        if (auto reply = answer({buf, static_cast<size_t>(n)}, false, delay, &forged)) {
          for (auto& f : forged) {
            const int fd = f.kind == MockRule::Forgery::OtherPort      ? other_port_fd_
                           : f.kind == MockRule::Forgery::OtherAddress ? other_addr_fd_
                                                                       : udp_fd_;
            pending_.push_back({now_ms(), fd, false, {fb, fb + flen}, std::move(f.packet)});
          }
          pending_.push_back({now_ms() + delay, udp_fd_, false, {fb, fb + flen}, *reply});
        }
      }
    }
    if (fds[1].revents & POLLIN) {
      const int c = accept(tcp_fd_, nullptr, nullptr);
      if (c >= 0 && no_tcp_) {
        close(c);
      } else if (c >= 0) {
        conns.push_back(c);
      }
    }
    for (size_t i = 2; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const int c = fds[i].fd;
      uint8_t buf[65536];
      const ssize_t n = read(c, buf, sizeof buf);
      if (n <= 0) {
        close(c);
        std::erase(conns, c);
        inbufs.erase(c);
        std::erase_if(pending_, [c](const Pending& p) { return p.tcp && p.fd == c; });
        continue;
      }
      auto& in = inbufs[c];
      in.insert(in.end(), buf, buf + n);
      while (in.size() >= 2) {
        const size_t len = size_t{in[0]} << 8 | in[1];
        if (in.size() < 2 + len) break;
        int delay = 0;
        if (auto reply = answer({in.data() + 2, len}, true, delay)) {
          std::vector<uint8_t> framed{static_cast<uint8_t>(reply->size() >> 8),
                                      static_cast<uint8_t>(reply->size())};
          framed.insert(framed.end(), reply->begin(), reply->end());
          pending_.push_back({now_ms() + delay, c, true, {}, std::move(framed)});
        }
        in.erase(in.begin(), in.begin() + static_cast<long>(2 + len));
      }
    }
    const int64_t t = now_ms();
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->due_ms > t) {
        ++it;
        continue;
      }
      if (it->tcp) {
        (void)!write(it->fd, it->packet.data(), it->packet.size());
      } else {
        sendto(it->fd, it->packet.data(), it->packet.size(), 0,
               reinterpret_cast<const sockaddr*>(it->dest.data()),
               static_cast<socklen_t>(it->dest.size()));
      }
      it = pending_.erase(it);
    }
  }
  for (int c : conns) close(c);
}

std::vector<uint8_t> a_rdata(const std::string& ipv4) {
  std::vector<uint8_t> out(4);
  inet_pton(AF_INET, ipv4.c_str(), out.data());
  return out;
}

std::vector<uint8_t> soa_rdata(uint32_t minimum) {
  std::vector<uint8_t> out;
  for (const char* n : {"ns.example.test", "admin.example.test"}) {
    const auto name = *dnsp::resolver::Name::from_text(n);
    out.insert(out.end(), name.wire().begin(), name.wire().end());
  }
  for (uint32_t v : {1u, 3600u, 600u, 86400u, minimum}) {  // serial .. minimum
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
  }
  return out;
}

std::vector<uint8_t> txt_rdata(size_t total_octets) {
  std::vector<uint8_t> out;
  while (out.size() < total_octets) {
    const size_t chunk = std::min<size_t>(255, total_octets - out.size() - 1);
    out.push_back(static_cast<uint8_t>(chunk));
    out.insert(out.end(), chunk, 'x');
  }
  return out;
}

std::vector<uint8_t> fake_rrsig_rdata(RRType covered, const std::string& signer) {
  std::vector<uint8_t> out{static_cast<uint8_t>(to_u16(covered) >> 8),
                           static_cast<uint8_t>(to_u16(covered)),
                           13,  // ECDSAP256SHA256
                           2,   // labels
                           0,
                           0,
                           0x0e,
                           0x10,  // original TTL 3600
                           0xff,
                           0xff,
                           0xff,
                           0xff,  // expiration
                           0,
                           0,
                           0,
                           0,  // inception
                           0x12,
                           0x34};  // key tag
  auto name = *Name::from_text(signer);
  out.insert(out.end(), name.wire().begin(), name.wire().end());
  out.insert(out.end(), 64, 0xAB);  // signature
  return out;
}

}  // namespace dnsp::test
