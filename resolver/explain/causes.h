// The plain-language cause of a verdict that is not secure, and the next step to take: for
// each bogus and insecure Reason, and for a question that could not be resolved. Reads a built
// Report (the evidence as views) and the ExplainInput it came from; build_report() stores it.
#pragma once

#include <string>

#include "resolver/explain/report.h"

namespace dnsp::resolver {

struct Cause {
  std::string cause;  // "" when secure
  std::string next;   // "" when secure
};

// What is wrong and what to do, for r.verdict (r.failure when it did not finish). Sentences
// that end in a domain name end in one dot: "Re-sign example.com."
Cause explain_cause(const Report& r, const ExplainInput& in);

}  // namespace dnsp::resolver
