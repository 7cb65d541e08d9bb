// The renderers of the explain report: one function per format, each over the one Report of
// report.h and each in a file of its own, render_<format>.cc (text, JSON). A renderer reads
// the report and nothing else: the evidence, the verdict and the cause are already in it. A
// new format is one more render_<format>.cc, declared here.
#pragma once

#include <cstdint>
#include <string>

#include "resolver/explain/report.h"

namespace dnsp::resolver {

// render_text.cc: lines for a terminal, the verdict and problems in ANSI colours when On.
enum class Color : uint8_t { Off, On };
std::string render_text(const Report& report, Color color);

// render_json.cc: one JSON object, schema docs/explain-schema.json ("schema_version": 1),
// ending in "\n".
std::string render_json(const Report& report);

}  // namespace dnsp::resolver
