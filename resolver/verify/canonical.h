// Canonical form, built here and nowhere else: canonical RDATA (RFC 4034 §6.2 as corrected
// by RFC 6840 §5.1), the data an RRSIG signs (RFC 4034 §3.1.8.1, §6.3; RFC 4035 §5.3.2
// wildcard owners), the key tag (RFC 4034 Appendix B) and the DS digest input (§5.1.4).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "resolver/wire/name.h"
#include "resolver/wire/rdata.h"
#include "resolver/wire/rrset.h"
#include "resolver/wire/types.h"

namespace dnsp::resolver {

// Appends the canonical form of one uncompressed RDATA of type `type` to `out`.
// RFC 4034 §6.2 item 3 lowercases the names embedded in NS, MD, MF, CNAME, SOA, MB, MG, MR,
// PTR, HINFO, MINFO, MX, RP, AFSDB, RT, SIG, PX, NXT, NAPTR, KX, SRV, DNAME, A6, RRSIG and
// NSEC; RFC 6840 §5.1 takes NSEC out of that list (its Next Domain Name keeps its case) and
// keeps RRSIG in (its Signer's Name is lowered). Every other type is copied unchanged
// (RFC 3597 §7); the layouts are resolver/wire/rdata_layout.h, shared with expand_rdata().
// RDATA that stops matching its type's layout is copied unchanged from the
// point where it stops: such a record cannot have been signed by a well-formed signer, so
// its signature simply fails (group_rrsets() already rejects it as BadRdata).
void append_canonical_rdata(RRType type, std::span<const uint8_t> rdata, std::vector<uint8_t>& out);

// RFC 4034 §3.1.8.1: signature = sign(RRSIG_RDATA | RR(1) | RR(2)...), where
//   RRSIG_RDATA is the RRSIG RDATA without the Signature field (Signer's Name lowercased),
//   RR(i) = owner | type | class | OrigTTL | RDATA length | RDATA,
// each owner in canonical form (lowercased) or, when sig.labels is below its label count,
// "*." + its rightmost sig.labels labels (RFC 4035 §5.3.2); OrigTTL is the RRSIG's Original
// TTL; RDATA is in canonical form; RRs are sorted by their canonical RDATA as left-justified
// octet strings, exact duplicates removed (RFC 4034 §6.3).
// `sig` is parse_rrsig(rrsig_rdata); `rrsig_rdata` is uncompressed. Returns an empty vector
// for input no signer can have produced: sig.labels above the owner's label count, a Type
// Covered other than rrset.type, or RDATA shorter than the fixed RRSIG fields. The caller
// then treats the signature as not verified (Bogus).
std::vector<uint8_t> signed_data(const RrsigRdata& sig, std::span<const uint8_t> rrsig_rdata,
                                 const RRset& rrset);

// RFC 4034 Appendix B: the key tag of a DNSKEY RDATA (Flags | Protocol | Algorithm | Public
// Key). Algorithm 1 (RSA/MD5, Appendix B.1) uses the 3rd- and 2nd-to-last octets of the
// RDATA instead, as BIND, Unbound and ldns do (0 when the RDATA is 4 octets or shorter).
uint16_t key_tag(std::span<const uint8_t> dnskey_rdata);

// RFC 4034 §5.1.4: the DS digest input, "DNSKEY owner name | DNSKEY RDATA", where the owner
// name is in canonical form (lowercased, uncompressed). Pass it to crypto::ds_digest().
std::vector<uint8_t> ds_digest_input(const Name& owner, std::span<const uint8_t> dnskey_rdata);

// A name in canonical wire form (RFC 4034 §6.2: uncompressed, ASCII lowercased), e.g. the
// input of the NSEC3 owner hash (RFC 5155 §5).
std::vector<uint8_t> canonical_name_wire(const Name& name);

}  // namespace dnsp::resolver
