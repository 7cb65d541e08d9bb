// The renderers of the explain report: one function per format, each over the one Report of
// report.h and each in a file of its own, render_<format>.cc (text, JSON, DOT, SVG, HTML; the
// picture's graph and layout are picture.h's). A renderer reads
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

// render_dot.cc: the chain of trust as a Graphviz digraph, one cluster per zone.
std::string render_dot(const Report& report);

// render_svg.cc: the chain of trust drawn by our own layout (picture.h) as one
// self-contained SVG element: no script, no external reference.
std::string render_svg(const Report& report);

// render_html.cc: one self-contained HTML page: verdict, EDE, cause, next step, the SVG and
// the text report; no script. Dashboard: a link back to the running proxy's "/" page.
enum class PageLinks : uint8_t { None, Dashboard };
std::string render_html(const Report& report, PageLinks links = PageLinks::None);

}  // namespace dnsp::resolver
