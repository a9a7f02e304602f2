// polish tests — libphonenumber behind a C function, the reference the phone parser is compared
// with.
#include "lpn_shim.h"

#include <phonenumbers/phonenumberutil.h>
#include <cstring>
#include <string>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

extern "C" int lpn_parse(const char *s, const char *region, char *e164, size_t cap, char *ext,
                         size_t ext_cap)
{
    const PhoneNumberUtil *u = PhoneNumberUtil::GetInstance();
    PhoneNumber n;
    if (cap) e164[0] = '\0';
    if (ext_cap) ext[0] = '\0';
    if (u->Parse(s, region, &n) != PhoneNumberUtil::NO_PARSING_ERROR) return -1;
    std::string out;
    u->Format(n, PhoneNumberUtil::E164, &out);
    if (cap) snprintf(e164, cap, "%s", out.c_str());
    if (ext_cap && n.has_extension()) snprintf(ext, ext_cap, "%s", n.extension().c_str());
    return u->IsValidNumber(n) ? 1 : 0;
}

extern "C" void lpn_region(const char *e164, char out[3])
{
    const PhoneNumberUtil *u = PhoneNumberUtil::GetInstance();
    PhoneNumber n;
    out[0] = '\0';
    if (u->Parse(e164, "ZZ", &n) != PhoneNumberUtil::NO_PARSING_ERROR) return;
    std::string r;
    u->GetRegionCodeForNumber(n, &r);
    snprintf(out, 3, "%s", r.c_str());
}

extern "C" int lpn_country_code(const char *region)
{
    return PhoneNumberUtil::GetInstance()->GetCountryCodeForRegion(region);
}

extern "C" void lpn_ndd(const char *region, char *out, size_t cap)
{
    std::string p;
    PhoneNumberUtil::GetInstance()->GetNddPrefixForRegion(region, true, &p);
    snprintf(out, cap, "%s", p.c_str());
}
