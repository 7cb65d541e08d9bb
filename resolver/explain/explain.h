// Explain: the report behind `dnssec-proxy explain NAME [TYPE]`, and this folder's entry point.
// report.h builds it from a Validation's evidence and verdict (the chain of trust, the answer's
// RRsets and RRSIGs, the NSEC/NSEC3 proofs, the EDE the daemon would attach); causes.h words
// what is wrong and what to do; render.h declares one renderer per format (text, JSON);
// vocabulary.h holds the names and stable identifiers they share. Pure: nothing is printed.
#pragma once

#include "resolver/explain/render.h"
#include "resolver/explain/report.h"
#include "resolver/explain/vocabulary.h"
