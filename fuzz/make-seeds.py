#!/usr/bin/env python3
"""polish — makes the small generated seeds of fuzz/corpus/<target>/seed-*.

Images come from ImageMagick (`convert`, installed by scripts/setup) at a few pixels each; EXIF
blocks, ICC profiles, XLSX workbooks and the metadata chunks put into the images are written here
byte by byte, so every seed is small and its structure is known. Files named regress-* (inputs
that once failed) and the older hand-made seeds are left alone. Run from anywhere:

    python3 fuzz/make-seeds.py
"""
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


# ---- EXIF (TIFF structure) -------------------------------------------------------------------

def tiff_block(le, ifds):
    """ifds: list of (name, entries, next_name); entries: (tag, type, count, value) where value
    is bytes (stored inline when <= 4 bytes) or ('ifd', name) for a pointer to another IFD."""
    e = "<" if le else ">"
    sizes = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 9: 4, 10: 8}
    # layout: header, then each IFD followed by its out-of-line data
    offs, pos = {}, 8
    for name, entries, _ in ifds:
        offs[name] = pos
        pos += 2 + 12 * len(entries) + 4
        for tag, typ, count, val in entries:
            if isinstance(val, bytes) and len(val) > 4:
                pos += len(val) + (len(val) & 1)
    out = bytearray(b"II*\0" if le else b"MM\0*")
    out += struct.pack(e + "I", offs[ifds[0][0]])
    for name, entries, nxt in ifds:
        data_at = offs[name] + 2 + 12 * len(entries) + 4
        blob = bytearray()
        out += struct.pack(e + "H", len(entries))
        for tag, typ, count, val in sorted(entries, key=lambda t: t[0]):
            if isinstance(val, tuple):
                v = struct.pack(e + "I", offs[val[1]])
            elif len(val) > 4:
                v = struct.pack(e + "I", data_at + len(blob))
                blob += val + (b"\0" if len(val) & 1 else b"")
            else:
                v = val + b"\0" * (4 - len(val))
            out += struct.pack(e + "HHI", tag, typ, count) + v
        out += struct.pack(e + "I", offs[nxt] if nxt else 0)
        out += blob
    return bytes(out)


def exif_block(le=True, orientation=6, gps=True, dpi=300, private=True, thumb=b""):
    e = "<" if le else ">"
    short = lambda v: struct.pack(e + "H", v)
    rational = lambda n, d: struct.pack(e + "II", n, d)
    ifd0 = [
        (0x010F, 2, 6, b"Maker\0"),
        (0x0112, 3, 1, short(orientation)),
        (0x011A, 5, 1, rational(dpi, 1)),
        (0x011B, 5, 1, rational(dpi, 1)),
        (0x0128, 3, 1, short(2)),
        (0x8769, 4, 1, ("ifd", "exif")),
    ]
    exif = [
        (0x9000, 7, 4, b"0232"),
        (0xA002, 4, 1, struct.pack(e + "I", 8)),
        (0xA003, 4, 1, struct.pack(e + "I", 6)),
    ]
    if private:
        ifd0 += [(0x013B, 2, 7, b"Artist\0"), (0x8298, 2, 5, b"(c) \0")]
        exif += [(0x927C, 7, 8, b"MAKERNOT"), (0x9286, 7, 12, b"ASCII\0\0\0hey!"),
                 (0xA431, 2, 6, b"12345\0")]
    ifds = [("0", ifd0, "1" if thumb else None), ("exif", exif, None)]
    if gps:
        ifd0.append((0x8825, 4, 1, ("ifd", "gps")))
        ifds.append(("gps", [
            (0x0000, 1, 4, b"\2\3\0\0"),
            (0x0001, 2, 2, b"N\0"),
            (0x0002, 5, 3, rational(48, 1) + rational(51, 1) + rational(2976, 100)),
        ], None))
    if thumb:
        ifds.append(("1", [(0x0103, 3, 1, short(6)), (0x0201, 4, 1, ("ifd", "thumb")),
                           (0x0202, 4, 1, struct.pack(e + "I", len(thumb)))], None))
        ifds.append(("thumb", [], None))
    block = bytearray(tiff_block(le, ifds))
    if thumb:  # the "thumb" IFD is an empty placeholder: put the JPEG bytes after it
        block += thumb
    return bytes(block)


# ---- ICC profiles ----------------------------------------------------------------------------

def s15(v):
    return struct.pack(">i", int(round(v * 65536)))


def xyz_tag(x, y, z):
    return b"XYZ \0\0\0\0" + s15(x) + s15(y) + s15(z)


def icc_profile(version=2, space=b"RGB ", cls=b"mntr", tags=()):
    """tags: list of (signature, data); data shared between tags is written once."""
    n = len(tags)
    table, body, seen = bytearray(), bytearray(), {}
    base = 128 + 4 + 12 * n
    for sig, data in tags:
        if data not in seen:
            seen[data] = base + len(body)
            body += data + b"\0" * (-len(data) % 4)
        table += sig + struct.pack(">II", seen[data], len(data))
    size = base + len(body)
    hdr = bytearray(128)
    struct.pack_into(">I", hdr, 0, size)
    hdr[4:8] = b"lcms"
    hdr[8:12] = bytes([version, 0x40 if version == 4 else 0x10, 0, 0])
    hdr[12:16] = cls
    hdr[16:20] = space
    hdr[20:24] = b"XYZ "
    hdr[36:40] = b"acsp"
    hdr[68:80] = s15(0.9642) + s15(1.0) + s15(0.8249)
    return bytes(hdr) + struct.pack(">I", n) + bytes(table) + bytes(body)


def desc_tag(text, version=2):
    t = text.encode()
    if version == 4:
        u = text.encode("utf-16-be")
        return b"mluc\0\0\0\0" + struct.pack(">II", 1, 12) + b"enUS" + struct.pack(">II", len(u), 28) + u
    return b"desc\0\0\0\0" + struct.pack(">I", len(t) + 1) + t + b"\0" + b"\0" * 8 + b"\0" * 3 + b"\0" * 67


def curv_gamma(g):
    return b"curv\0\0\0\0" + struct.pack(">IH", 1, int(round(g * 256))) + b"\0\0"


def curv_table(vals):
    return b"curv\0\0\0\0" + struct.pack(">I", len(vals)) + b"".join(struct.pack(">H", v) for v in vals)


def para_srgb():
    return b"para\0\0\0\0" + struct.pack(">HH", 3, 0) + s15(2.4) + s15(1 / 1.055) + s15(0.055 / 1.055) + \
        s15(1 / 12.92) + s15(0.04045)


def matrix_profile(name, prim, trc, version=2):
    return icc_profile(version, tags=[
        (b"desc", desc_tag(name, version)),
        (b"wtpt", xyz_tag(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz_tag(*prim[0])), (b"gXYZ", xyz_tag(*prim[1])), (b"bXYZ", xyz_tag(*prim[2])),
        (b"rTRC", trc), (b"gTRC", trc), (b"bTRC", trc),
        (b"cprt", b"text\0\0\0\0No copyright\0"),
    ])


SRGB = [(0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141)]
P3 = [(0.5151, 0.2412, -0.0011), (0.2919, 0.6922, 0.0419), (0.1572, 0.0666, 0.7841)]


def lut8_profile():
    """An RGB profile whose A2B0 is a lut8 (mft1) with a 2-point grid: the CLUT path of lcms2."""
    mat = b"".join(s15(1.0 if i % 4 == 0 else 0.0) for i in range(9))
    ramp = bytes(range(256))
    clut = bytearray()
    for r in (0, 255):
        for g in (0, 255):
            for b in (0, 255):
                clut += bytes([(r * 3 + g * 5 + b * 2) // 10, (r * 2 + g * 7 + b) // 10, b])
    lut = b"mft1\0\0\0\0" + bytes([3, 3, 2, 0]) + mat + ramp * 3 + bytes(clut) + ramp * 3
    return icc_profile(2, space=b"RGB ", cls=b"scnr", tags=[
        (b"desc", desc_tag("lut8 test")), (b"wtpt", xyz_tag(0.9642, 1.0, 0.8249)),
        (b"A2B0", lut)])


def grey_profile():
    return icc_profile(2, space=b"GRAY", tags=[
        (b"desc", desc_tag("Grey gamma 2.2")), (b"wtpt", xyz_tag(0.9642, 1.0, 0.8249)),
        (b"kTRC", curv_gamma(2.2))])


ICCS = {
    "srgb-table.icc": matrix_profile("sRGB primaries, 8-point curve", SRGB, curv_table([0, 13, 890, 4788, 12870, 26245, 45875, 65535])),
    "srgb-v4-para.icc": matrix_profile("sRGB v4", SRGB, para_srgb(), version=4),
    "p3-gamma.icc": matrix_profile("P3-like gamma 2.2", P3, curv_gamma(2.2)),
    "lut8.icc": lut8_profile(),
    "grey.icc": grey_profile(),
}


# ---- image containers ------------------------------------------------------------------------

def convert(args, ext):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out." + ext)
        subprocess.run(["convert"] + args + ["-strip", out] if "-profile" not in args
                       else ["convert"] + args + [out], check=True)
        with open(out, "rb") as f:
            return f.read()


def picture(w=8, h=6, extra=()):
    """A small colourful test picture (gradient plus a disc) as ImageMagick arguments."""
    return ["-size", f"{w}x{h}", "gradient:red-blue", "(", "-size", f"{w}x{h}", "radial-gradient:yellow-green",
            ")", "-compose", "blend", "-define", "compose:args=50", "-composite",
            "+set", "date:create", "+set", "date:modify", "-depth", "8"] + list(extra)


def jpeg_with(jpeg, exif=None, icc=None):
    segs = b""
    if exif is not None:
        body = b"Exif\0\0" + exif
        segs += b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    if icc is not None:
        body = b"ICC_PROFILE\0\1\1" + icc
        segs += b"\xff\xe2" + struct.pack(">H", len(body) + 2) + body
    return jpeg[:2] + segs + jpeg[2:]


def png_chunk(typ, data):
    return struct.pack(">I", len(data)) + typ + data + struct.pack(">I", zlib.crc32(typ + data) & 0xffffffff)


def png_with(png, exif=None, icc=None):
    ihdr_end = 8 + 25
    extra = b""
    if icc is not None:
        extra += png_chunk(b"iCCP", b"test\0\0" + zlib.compress(icc))
    if exif is not None:
        extra += png_chunk(b"eXIf", exif)
    return png[:ihdr_end] + extra + png[ihdr_end:]


def riff_chunk(fourcc, data):
    return fourcc + struct.pack("<I", len(data)) + data + (b"\0" if len(data) & 1 else b"")


def webp_with(webp, w, h, exif=None, icc=None, alpha=False):
    """Wraps a simple (VP8/VP8L) WebP into a VP8X container with ICCP/EXIF chunks."""
    assert webp[:4] == b"RIFF" and webp[8:12] == b"WEBP"
    body = webp[12:]
    if body[:4] == b"VP8X":  # already extended: keep its chunks after the header
        body = body[8 + 10:]
    flags = (0x20 if icc is not None else 0) | (0x08 if exif is not None else 0) | (0x10 if alpha else 0)
    vp8x = bytes([flags, 0, 0, 0]) + (w - 1).to_bytes(3, "little") + (h - 1).to_bytes(3, "little")
    out = riff_chunk(b"VP8X", vp8x)
    if icc is not None:
        out += riff_chunk(b"ICCP", icc)
    out += body
    if exif is not None:
        out += riff_chunk(b"EXIF", exif)
    return b"RIFF" + struct.pack("<I", 4 + len(out)) + b"WEBP" + out


# ---- XLSX ------------------------------------------------------------------------------------

def xlsx(sheet_rows, shared=None, styles=None, date1904=False, deflate=True):
    """sheet_rows: sheetData XML; shared: list of shared strings (None: no sharedStrings part)."""
    ct = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
          '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
          '</Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            '</Relationships>')
    wb = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
          'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
          + ('<workbookPr date1904="1"/>' if date1904 else '') +
          '<sheets><sheet name="Leads" sheetId="1" r:id="rId1"/></sheets></workbook>')
    wbrels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
              '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
              '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
              '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
              '</Relationships>')
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             '<sheetData>' + sheet_rows + '</sheetData></worksheet>')
    buf = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    with zipfile.ZipFile(buf, "w", method) as z:
        def add(name, text):
            zi = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            zi.compress_type = method
            z.writestr(zi, text)
        add("[Content_Types].xml", ct)
        add("_rels/.rels", rels)
        add("xl/workbook.xml", wb)
        add("xl/_rels/workbook.xml.rels", wbrels)
        add("xl/worksheets/sheet1.xml", sheet)
        if shared is not None:
            add("xl/sharedStrings.xml",
                '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                f'count="{len(shared)}" uniqueCount="{len(shared)}">' + "".join(shared) + '</sst>')
        if styles is not None:
            add("xl/styles.xml", styles)
    return buf.getvalue()


STYLES = ('<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
          '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
          '<cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/>'
          '<xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="49"/></cellXfs></styleSheet>')


def tool(args, ext):
    """Runs a command that writes OUT (the placeholder in args) and returns the file's bytes."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out." + ext)
        subprocess.run([out if a == "OUT" else a for a in args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(out, "rb") as f:
            return f.read()


def wav(rate, chans, frames, bits=16):
    """A little PCM WAV: a ramp per channel."""
    w = io.BytesIO()
    import wave
    with wave.open(w, "wb") as f:
        f.setnchannels(chans)
        f.setsampwidth(bits // 8)
        f.setframerate(rate)
        f.writeframes(b"".join(struct.pack("<h", (i * 997 + c * 3001) % 65536 - 32768)
                               for i in range(frames) for c in range(chans)))
    return w.getvalue()


def domain_seeds():
    """The render, cube, audio, track and forecast targets: small files of each format the
    domain recognises by content (the fuzz_load targets write them without an extension)."""
    # render: EXR half and float, a multi-layer one with Blender's pass names, Radiance HDR
    put("render", "half.exr", tool(["oiiotool", "--create", "4x3", "4", "--fill:color=0.5,2,8,1",
                                    "4x3", "-d", "half", "-o", "OUT"], "exr"))
    put("render", "layers.exr", tool(["oiiotool", "--create", "3x2", "5", "--chnames",
                                      "R,G,B,A,Z", "--fill:color=1,0.2,0.1,1,4", "3x2", "--chnames",
                                      "ViewLayer.Combined.R,ViewLayer.Combined.G,ViewLayer.Combined.B,"
                                      "ViewLayer.Combined.A,ViewLayer.Depth.Z", "-d", "float",
                                      "-o", "OUT"], "exr"))
    put("render", "tiled-zip.exr", tool(["oiiotool", "--create", "9x5", "3", "--tile", "4", "4",
                                         "--compression", "zip", "-d", "half", "-o", "OUT"], "exr"))
    put("render", "small.hdr", tool(["oiiotool", "--create", "5x2", "3", "--fill:color=3,1,0.25",
                                     "5x2", "-o", "OUT"], "hdr"))
    # cube: 1D and 3D LUTs, domain lines, comments, a size mismatch
    put("cube", "3d.cube", b"# a look\nTITLE \"t\"\nLUT_3D_SIZE 2\nDOMAIN_MIN 0 0 0\nDOMAIN_MAX 1 1 1\n"
        + b"".join(b"%g %g %g\n" % (r * 0.9, g, b_ * 1.1) for b_ in (0, 1) for g in (0, 1) for r in (0, 1)))
    put("cube", "1d.cube", b"LUT_1D_SIZE 3\nLUT_1D_INPUT_RANGE 0 2\n0 0 0\n0.5 0.4 0.6\n1 1 1\n")
    put("cube", "both.cube", b"LUT_1D_SIZE 2\nLUT_3D_SIZE 2\n0 0 0\n1 1 1\n"
        + b"0 0 0\n1 0 0\n0 1 0\n1 1 0\n0 0 1\n1 0 1\n0 1 1\n1 1 1\n")
    put("cube", "short.cube", b"LUT_3D_SIZE 3\n0 0 0\n1 1 1\n")
    # audio: PCM WAV in two layouts, FLAC, Ogg Vorbis
    put("audio", "mono16.wav", wav(8000, 1, 64))
    put("audio", "stereo16.wav", wav(22050, 2, 48))
    put("audio", "tiny.flac", tool(["sox", "-n", "-r", "8000", "-c", "1", "OUT", "synth", "0.02",
                                    "sine", "440"], "flac"))
    put("audio", "tiny.ogg", tool(["sox", "-n", "-r", "8000", "-c", "1", "OUT", "synth", "0.05",
                                   "sine", "440"], "ogg"))
    # track: every format the domain reads
    put("track", "ride.gpx", b'<?xml version="1.0"?>\n<gpx version="1.1" creator="t" '
        b'xmlns="http://www.topografix.com/GPX/1/1"><wpt lat="1" lon="2"><name>w</name></wpt>'
        b'<trk><name>r</name><trkseg><trkpt lat="52.5" lon="13.4"><ele>34.5</ele>'
        b'<time>2024-05-01T10:00:00Z</time><extensions><hr>120</hr></extensions></trkpt>'
        b'<trkpt lat="52.5001" lon="13.4002"><time>2024-05-01T10:00:05Z</time></trkpt></trkseg>'
        b'</trk><rte><rtept lat="3" lon="4"/></rte></gpx>\n')
    put("track", "path.kml", b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        b'<Document><Placemark><LineString><coordinates>13.4,52.5,30 13.41,52.51,31'
        b'</coordinates></LineString></Placemark><Placemark><gx:Track xmlns:gx="x">'
        b'<when>2024-05-01T10:00:00Z</when><gx:coord>13.4 52.5 3</gx:coord></gx:Track>'
        b'</Placemark></Document></kml>\n')
    put("track", "line.geojson", json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"times": ["2024-05-01T10:00:00Z", "2024-05-01T10:00:01Z"]},
         "geometry": {"type": "LineString", "coordinates": [[13.4, 52.5, 3], [13.4001, 52.5001, 4]]}},
        {"type": "Feature", "properties": {}, "geometry": {"type": "MultiLineString",
                                                            "coordinates": [[[1, 2], [1.1, 2.1]]]}}]}).encode())
    put("track", "points.csv", b"time,lat,lon,ele,speed\n2024-05-01T10:00:00Z,52.5,13.4,30,1.2\n"
        b"2024-05-01T10:00:01Z,52.50001,13.40002,,1.3\n")
    put("track", "gps.nmea", b"$GPGGA,100000,5230.000,N,01324.000,E,1,08,0.9,34.5,M,46.9,M,,*47\r\n"
        b"$GPRMC,100001,A,5230.001,N,01324.002,E,5.0,90.0,010524,,,A*6C\r\n")
    # forecast: a wide and a long station table, a GRIB2 message and a small NetCDF-CF ensemble
    put("forecast", "wide.csv", b"station,init_time,lead_h,obs,ens_1,ens_2,ens_3\n"
        b"A,2024-01-01T00:00Z,24,1.5,1.2,1.9,0.8\nA,2024-01-02T00:00Z,24,,2.0,nan,2.2\n"
        b"B,2024-01-01T00:00Z,48,-3,-2.5,-3.5,-2.9\n")
    put("forecast", "long.csv", b"station,init_time,lead_h,member,obs,value\n"
        b"A,2024-01-01T00:00Z,24,1,1.5,1.2\nA,2024-01-01T00:00Z,24,2,1.5,1.9\n")
    with open("/usr/share/eccodes/samples/GRIB2.tmpl", "rb") as f:
        put("forecast", "sample.grib2", f.read())
    cdl = b"""netcdf e { dimensions: member = 2 ; lat = 2 ; lon = 2 ;
variables: float t2m(member, lat, lon) ; t2m:units = "K" ; float lat(lat) ; lat:units = "degrees_north" ;
float lon(lon) ; lon:units = "degrees_east" ;
data: t2m = 280, 281, 282, 283, 284, 285, 286, 287 ; lat = 50, 51 ; lon = 10, 11 ; }
"""
    with tempfile.TemporaryDirectory() as d:
        c = os.path.join(d, "e.cdl")
        with open(c, "wb") as f:
            f.write(cdl)
        put("forecast", "ens.nc", tool(["ncgen", "-k", "classic", "-o", "OUT", c], "nc"))


def main():
    domain_seeds()
    # EXIF blocks, both byte orders, with and without the private tags and a thumbnail
    text_seeds()
    put("exif", "le-gps.exif", exif_block(True))
    put("exif", "be-plain.exif", exif_block(False, orientation=3, gps=False, private=False, dpi=72))
    put("exif", "le-thumb.exif", exif_block(True, orientation=8, thumb=b"\xff\xd8\xff\xd9"))
    for name, prof in ICCS.items():
        put("icc", name, prof)

    ex = exif_block(True)
    icc = ICCS["p3-gamma.icc"]
    # JPEG: baseline, progressive, grey, 4:4:4 with restart markers, CMYK; EXIF/ICC added by hand
    j = convert(picture(16, 12) + ["-quality", "50"], "jpg")
    put("jpeg", "baseline-exif-icc.jpg", jpeg_with(j, ex, icc))
    put("jpeg", "progressive.jpg", jpeg_with(convert(picture(16, 12) + ["-interlace", "JPEG", "-quality", "40"], "jpg"),
                                             exif_block(False, orientation=6, gps=False)))
    put("jpeg", "grey.jpg", convert(picture(9, 7) + ["-colorspace", "Gray", "-quality", "50"], "jpg"))
    put("jpeg", "444-restart.jpg", convert(picture(17, 9) + ["-sampling-factor", "1x1", "-define", "jpeg:restart-interval=1", "-quality", "30"], "jpg"))
    put("jpeg", "cmyk.jpg", convert(picture(8, 8) + ["-colorspace", "CMYK", "-quality", "50"], "jpg"))

    # PNG: RGB8 with iCCP+eXIf, RGBA16 interlaced, palette with transparency, 1-bit grey
    p = convert(picture(8, 6), "png")
    put("png", "rgb8-icc-exif.png", png_with(p, ex, icc))
    put("png", "rgba16-interlaced.png",
        convert(picture(7, 5) + ["-alpha", "set", "-channel", "A", "-evaluate", "set", "60%", "+channel",
                                 "-depth", "16", "-interlace", "PNG"], "png"))
    put("png", "palette-trns.png", convert(picture(8, 6) + ["-transparent", "red", "-colors", "4", "-define", "png:format=png8"], "png"))
    put("png", "grey1.png", convert(picture(9, 3) + ["-threshold", "50%", "-type", "bilevel", "-depth", "1"], "png"))
    put("png", "grey-icc.png", png_with(convert(picture(6, 4) + ["-colorspace", "Gray"], "png"), None, ICCS["grey.icc"]))

    # WebP: lossy, lossless with alpha, each wrapped with ICC/EXIF; an animation of two frames
    put("webp", "lossy-meta.webp", webp_with(convert(picture(8, 6) + ["-quality", "40"], "webp"), 8, 6, ex, icc))
    put("webp", "lossless-alpha.webp",
        webp_with(convert(picture(6, 5) + ["-alpha", "set", "-channel", "A", "-evaluate", "set", "50%", "+channel",
                                           "-define", "webp:lossless=true"], "webp"), 6, 5, None, None, alpha=True))
    put("webp", "animated.webp",
        convert(["-delay", "10", "-size", "4x4", "xc:red", "xc:blue", "-loop", "0"], "webp"))

    # TIFF: uncompressed RGB, LZW grey 16-bit, deflate tiled, JPEG-in-TIFF, palette, CMYK,
    # separate planes, two pages, EXIF via the profile option
    put("tiff", "rgb8-none.tif", convert(picture(5, 4) + ["-compress", "None"], "tif"))
    put("tiff", "grey16-lzw.tif", convert(picture(6, 4) + ["-colorspace", "Gray", "-depth", "16", "-compress", "LZW"], "tif"))
    put("tiff", "tiled-zip.tif", convert(picture(20, 18) + ["-define", "tiff:tile-geometry=16x16", "-compress", "Zip"], "tif"))
    put("tiff", "jpeg.tif", convert(picture(16, 8) + ["-compress", "JPEG", "-quality", "40"], "tif"))
    put("tiff", "palette.tif", convert(picture(6, 6) + ["-colors", "5", "-type", "Palette", "-compress", "None"], "tif"))
    put("tiff", "cmyk.tif", convert(picture(4, 4) + ["-colorspace", "CMYK", "-compress", "None"], "tif"))
    put("tiff", "planar-alpha.tif", convert(picture(5, 3) + ["-alpha", "set", "-interlace", "Plane", "-compress", "None"], "tif"))
    put("tiff", "two-pages.tif", convert(["-size", "3x3", "xc:red", "xc:blue", "-compress", "None"], "tif"))
    with tempfile.TemporaryDirectory() as d:
        pf = os.path.join(d, "p.icc")
        with open(pf, "wb") as f:
            f.write(icc)
        put("tiff", "rgb-icc.tif", convert(picture(4, 3) + ["-strip", "-profile", pf, "-compress", "None"], "tif"))

    # HEIF/AVIF through libheif (ImageMagick's delegate): tiny, 8-bit
    put("heif", "small.heic", convert(picture(16, 16) + ["-quality", "30"], "heic"))
    put("heif", "small.avif", convert(picture(8, 8) + ["-quality", "30"], "avif"))

    # XLSX: shared strings (plain and rich), inline strings, numbers, booleans, dates (both
    # epochs), formulas with cached values, an error; stored and deflated
    shared = ["<si><t>name</t></si>", "<si><t>email</t></si>", "<si><t>phone</t></si>",
              "<si><t>joined</t></si>", "<si><r><t>Ann</t></r><r><rPr><b/></rPr><t>e Smith</t></r></si>",
              "<si><t xml:space=\"preserve\"> ann@example.com </t></si>"]
    rows = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c>'
            '<c r="D1" t="s"><v>3</v></c></row>'
            '<row r="2"><c r="A2" t="s"><v>4</v></c><c r="B2" t="s"><v>5</v></c><c r="C2"><v>442071234567</v></c>'
            '<c r="D2" s="1"><v>44927.5</v></c></row>'
            '<row r="4"><c r="A4" t="inlineStr"><is><t>Bob &amp; Co</t></is></c><c r="C4" t="str"><f>A4</f><v>x</v></c>'
            '<c r="D4" s="2"><v>1.5e3</v></c><c r="E4" t="b"><v>1</v></c><c r="F4" t="e"><v>#N/A</v></c></row>')
    put("xlsx", "mixed.xlsx", xlsx(rows, shared, STYLES))
    sst_xml = ('<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               + "".join(shared) + '</sst>')
    sheet_xml = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                 '<sheetData>' + rows + '</sheetData></worksheet>')
    # xlsx_parts: worksheet, shared strings and styles separated by FF FE FD (fuzz_xlsx_parts.c)
    put("xlsx_parts", "mixed.xml", b"\xff\xfe\xfd".join([sheet_xml.encode(), sst_xml.encode(), STYLES.encode()]))
    put("xlsx_parts", "sheet-only.xml", ('<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>email</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>name</t></is></c></row><row r="3"><c r="B3" t="inlineStr"><is><t>x@y.org</t></is></c>'
        '<c r="AA3"><v>-1e308</v></c></row></sheetData></worksheet>').encode())
    put("xlsx", "stored-1904.xlsx",
        xlsx('<row><c t="inlineStr"><is><t>date</t></is></c></row><row><c s="1"><v>0</v></c></row>',
             None, STYLES, date1904=True, deflate=False))

    # CSV beyond the older seeds: semicolons with a sep= line, tabs, UTF-16LE, Windows-1252,
    # quoted fields with newlines, formula-looking cells, ragged rows
    put("csv", "semicolon.csv", b"sep=;\nname;phone;date\n\"M\xc3\xbcller, A\";+49 30 1234567;2021-03-04\n")
    put("csv", "tabs.csv", b"email\tphone\tzip\nbob@example.com\t(555) 010-0199\t02139\n\tx\n")
    put("csv", "utf16le.csv", "\ufeffname,city\nZo\u00eb,K\u00f6ln\n".encode("utf-16-le"))
    put("csv", "cp1252.csv", b"name,amount\nCaf\xe9,\x8012\n")
    put("csv", "quoted.csv", b'a,b,c\n"multi\nline","=1+2",@SUM(A1)\n"x""y",,\n1,2\n3,4,5,6\n')

    # recipes: every top-level key, every limit, long and short step forms, flow and block
    # styles, anchors (refused), quoting, comments, a tag, a document end
    put("recipe", "full.yml", b"""%YAML 1.1
---
polish: 1
domain: image
name: "full \\u00e9"
description: >
  folded text
limits: {pixels: 1e8, bytes: 10M, frames: 3, rows: 1000, columns: 20, field-bytes: 4k, duration: 60}
steps:
  - orient
  - colour: {intent: relative, black-point: false}
  - white-balance: {mode: auto}
  - op: resize
    long-edge: 2048
    kernel: lanczos2
  - !!map {sharpen: {amount: 0.4}}
deliver:
  - web
  - name: sq
    preset: instagram-square
    quality: 80
    format: webp
...
""")
    put("recipe", "records-deliver.yml", b"domain: records\nsteps:\n  - roles\n  - standardise\n"
        b"  - validate\n  - dedupe: {explain: x.json}\n  - merge\ndeliver: [{name: x, format: xlsx}]\n")
    put("recipe", "bad-types.yml", b"domain: [image]\nsteps: {orient: 1}\nlimits: {pixels: -1, rows: abc}\n"
        b"deliver: 7\n'unknown': ~\n")



def text_seeds():
    """The text target: the first byte picks the extension (0 .json, 1 .csv, 2 .txt, 3 .md,
    4 .html, 5 .yml), the rest is the file."""
    put("text", "chat.json", b"\x00" + json.dumps({"conversations": [
        {"id": "c1", "messages": [
            {"role": "user", "content": "Hi, I'm Dana Whitfield from Acme. We need 40 chairs by "
             "March 15. dana@acme.example.com, (415) 555-2671", "time": "2026-03-01T10:00:00Z"},
            {"role": "assistant", "content": "Thanks, our team will be in touch."}]},
        {"id": "c2", "messages": [{"role": "user", "content": "Refund asap please, (415) 555-2671"}]},
        {"id": "c3", "messages": []}]}).encode())
    put("text", "chat-list.json", b"\x00" + json.dumps([
        {"role": "user", "content": "Are you open on Sunday?"},
        {"role": "bot", "content": "No, we are closed on Sundays."}]).encode())
    put("text", "chat.csv", b"\x01conversation,time,role,message\nc1,10:00,user,\"Hi, I'm Bo Chen\"\n"
        b"c1,10:01,bot,Hello\nc2,,customer,\"call me on +44 20 7946 0958, \"\"soon\"\"\"\n")
    put("text", "faq.csv", b"\x01question,answer\n\"Do you deliver?\",\"No, we do not deliver.\"\n"
        b"Price?,\"A loaf costs $6.50 (EUR 6,00).\"\n")
    put("text", "chat.txt", b"\x02[10:02] User: I'm Ann Lee, ann@example.com\nBot: Hi Ann!\n"
        b"User: my card 4111 1111 1111 1111 was charged twice\nAgent: sorry\n")
    put("text", "answer.txt", b"\x02Hello! We are open Monday to Friday from 7am to 6pm. A croissant "
        b"costs $3.25, delivery takes 2-3 days and we do not open on 25 December 2026. Call "
        b"+1 (555) 014-2290 or visit https://example.com/a?b=1. IBAN DE89 3704 0044 0532 0130 00, "
        b"SSN 123-45-6789, IP 192.168.0.1, born 03/04/1985, 12 Main Street.\n")
    put("text", "doc.md", b"\x03# Bakery\n\n## Hours\n\nOpen **7am**-6pm.\n\n- Sourdough: $6.50\n"
        b"- [Order](https://example.com)\n\n```\ncode\n```\n> quote\n")
    put("text", "doc.html", b"\x04<!doctype html><html><body><h2>Cakes &amp; pies</h2><p>Cake orders "
        b"need 3 days&#39; notice.<br>Closed <b>Sunday</b>.</p><ul><li>One</li></ul>"
        b"<script>x<1</script></body></html>")
    put("text", "rules.yml", b"\x05sales: [price, quote]\nrepair:\n  - broken\n  - not working\n"
        b"vip: Acme Logistics\n")


if __name__ == "__main__":
    sys.exit(main())
