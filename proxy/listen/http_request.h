// The HTTP/1.1 request head as the [metrics] listener reads it (RFC 9112 §2-3): the request
// line, the Host field (RFC 9110 §7.2) and the query string's parameters (percent-decoded,
// as HTML forms send them). Pure functions over bytes: fuzzed by tests/fuzz/fuzz_http_request.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace dnsp::proxy {

enum class HttpParse : unsigned char {
  Incomplete,  // no blank line after the head yet: read more
  Ok,
  Bad,       // a request line that is not METHOD SP TARGET SP HTTP/x.y
  TooLarge,  // no end of head within the limit
};

struct HttpRequest {
  std::string method;
  std::string path;                 // the target up to '?', as sent (not decoded)
  std::string query;                // after '?', without it; "" when none
  std::optional<std::string> host;  // the Host field, trimmed; nullopt when absent
};

struct ParsedRequest {
  HttpParse status = HttpParse::Incomplete;
  HttpRequest request;
};

// Reads the head at the start of `data` (CRLF or bare LF line ends); anything after the blank
// line is ignored (GET and HEAD have no body). TooLarge when `data` holds more than
// `max_bytes` octets without the end of the head.
ParsedRequest parse_http_request(std::string_view data, size_t max_bytes);

// The value of `key` in a query string "a=1&b=x%20y" ("+" is a space), percent-decoded;
// nullopt when absent or badly encoded ("%G1", "%4").
std::optional<std::string> query_param(std::string_view query, std::string_view key);

// "%"-encodes everything but RFC 3986 §2.3 unreserved characters: for links in pages.
std::string percent_encode(std::string_view s);

// DNS rebinding: only a Host naming the listener by address (IPv4, or [IPv6], with an
// optional port) or as localhost can come from a page of our own origin.
bool host_allowed(std::string_view host);

}  // namespace dnsp::proxy
