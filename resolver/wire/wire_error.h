// The ways DNS wire data (or a name in presentation format) can be malformed.
#pragma once

#include <cstdint>
#include <string_view>

#include "resolver/wire/result.h"

namespace dnsp::resolver {

enum class WireError : uint8_t {
  Truncated,     // a read past the end of the packet or of an RDATA
  BadLabel,      // label > 63 octets, reserved label type, or bad text escape
  PointerLoop,   // a compression pointer that does not point strictly backwards, or whose
                 // target runs on into the pointer itself
  NameTooLong,   // more than 255 octets uncompressed (RFC 1035 §2.3.4)
  BadRdata,      // RDATA that does not match its type's layout
  TrailingData,  // octets left after the last record
  BadOpt,        // OPT record where RFC 6891 §6.1.1 forbids it, or a second one
};

template <class T>
using WireResult = Result<T, WireError>;

constexpr std::string_view to_string(WireError e) {
  switch (e) {
    case WireError::Truncated:
      return "truncated";
    case WireError::BadLabel:
      return "bad label";
    case WireError::PointerLoop:
      return "compression pointer loop";
    case WireError::NameTooLong:
      return "name too long";
    case WireError::BadRdata:
      return "bad rdata";
    case WireError::TrailingData:
      return "trailing data";
    case WireError::BadOpt:
      return "misplaced or duplicate OPT";
  }
  return "unknown";
}

}  // namespace dnsp::resolver
