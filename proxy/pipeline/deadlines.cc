// Deadlines: every transaction and parked query is due by its query's deadline
// ([server] query_timeout_ms); one timer per loop fires for the earliest, and what is due
// gets a stale answer or SERVFAIL with EDE 22.
#include "proxy/pipeline/server.h"
#include "resolver/serve/replies.h"

namespace dnsp::proxy {

using resolver::ExtendedError;
using resolver::RCode;

void Server::arm_deadline_timer() {
  publish_gauges();  // called whenever the set of transactions changed
  if (!timer_open_) return;
  if (deadlines_.empty()) {
    uv_timer_stop(&deadline_timer_);
    return;
  }
  const uint64_t now = uv_now(loop_);
  const uint64_t first = deadlines_.begin()->first;
  uv_timer_start(&deadline_timer_, &Server::on_deadline, first > now ? first - now : 0, 0);
}

void Server::on_deadline(uv_timer_t* t) noexcept {
  auto* self = static_cast<Server*>(t->data);
  const uint64_t now = uv_now(self->loop_);
  while (!self->deadlines_.empty() && self->deadlines_.begin()->first <= now) {
    const uint64_t tid = self->deadlines_.begin()->second;
    if (self->expire_parked(self->deadlines_.begin())) continue;  // a parked query, now gone
    if (self->transactions_.count(tid) == 0) {                    // cannot happen; never loop on it
      self->deadlines_.erase(self->deadlines_.begin());
      continue;
    }
    // fail() removes the transaction and its entry here.
    const ExtendedError ede =
        resolver::failure_ede(resolver::FetchFailure::Deadline, self->upstream_->servers_text(),
                              self->config_.query_timeout_ms);
    if (self->answer_stale(tid, ede)) continue;
    ++self->stats_.deadline_missed;
    self->fail(tid, RCode::ServFail, &ede);
  }
  self->arm_deadline_timer();
}

bool Server::expire_parked(Deadlines::iterator entry) {
  auto ids = parked_ids_.find(entry->second);
  if (ids == parked_ids_.end()) return false;
  const uint64_t id = ids->first;
  auto list = parked_.find(ids->second);
  parked_ids_.erase(ids);
  deadlines_.erase(entry);
  if (list == parked_.end()) return true;  // cannot happen: woken queries leave parked_ids_
  auto& queries = list->second;
  auto p =
      std::find_if(queries.begin(), queries.end(), [id](const Parked& q) { return q.id == id; });
  if (p == queries.end()) return true;  // cannot happen either
  Parked expired = std::move(*p);
  queries.erase(p);
  if (queries.empty()) parked_.erase(list);
  --group_.in_flight;
  ++stats_.deadline_missed;
  // It was a ClientQuery when parked; checked again only to build the reply.
  auto check = resolver::check_query(expired.packet);
  if (auto* query = std::get_if<resolver::ClientQuery>(&check)) {
    const ExtendedError ede = resolver::failure_ede(
        resolver::FetchFailure::Deadline, upstream_->servers_text(), config_.query_timeout_ms);
    send_to(expired.client,
            resolver::error_reply(*query, resolver::EchoQuestion::Yes, RCode::ServFail, &ede));
  }
  return true;
}

}  // namespace dnsp::proxy
