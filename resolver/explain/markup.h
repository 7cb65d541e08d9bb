// Text taken from DNS data made safe for the markup the renderers write: a label may hold any
// octet (RFC 2181 §11), so text is first made printable UTF-8 and then escaped for XML (SVG,
// HTML; XML 1.0 §2.2 allows no C0 controls but tab, LF and CR) or for Graphviz DOT strings.
#pragma once

#include <string>
#include <string_view>

namespace dnsp::resolver {

// Valid UTF-8 left as it is; each octet of an invalid sequence, each control character and
// DEL becomes "\xNN" (tab, LF and CR too: one label is one line).
std::string printable_utf8(std::string_view s);
// printable_utf8() with &, <, >, " and ' as character references: safe in XML text and in
// attribute values quoted either way.
std::string xml_escape(std::string_view s);
// The same for a text of several lines (a <pre> block): LF and tab are kept.
std::string xml_escape_lines(std::string_view s);
// printable_utf8() with " and \ escaped: safe inside a DOT double-quoted string.
std::string dot_escape(std::string_view s);

}  // namespace dnsp::resolver
