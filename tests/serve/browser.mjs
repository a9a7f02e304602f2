// polish serve — browser test: headless Debian Chromium driven by playwright-core. For a photo, a
// lead list (CSV) and an audio file (WAV): upload through the page's file input, Fix with one
// click, wait for "done", look at the before/after (move the photo slider and check the "after"
// picture's clip moves; the records table; the audio players load both sides), approve, and
// download the approved outputs as a zip whose entries are checked. Screenshots go to $SHOTS.
// Then the knowledge base: two approved documents (a price list, opening hours) uploaded in its
// panel, an answer with a wrong price uploaded and fixed: the contradicted claim is shown with
// its evidence and source and the corrected answer holds the right price; a form whose operation
// reads a file (track.privacy's zones) takes it as an upload and the zone's points are cut.
// A GPS track dragged and dropped onto the page and fixed shows its map picture from the report; a forecast table shows reliability
// diagrams: one click on Fix calibrates it from its own observations, and the card shows the
// calibrated forecasts' reliability diagrams.
// usage: node browser.mjs URL SHOTS_DIR PHOTO CSV WAV PRICES HOURS ANSWER ZONES GPX FORECAST
import { createRequire } from 'module';
import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';

const [url, shots, photo, csv, wav, prices, hours, answer, zones, gpx, forecast] = process.argv.slice(2);
const require = createRequire(process.env.PLAYWRIGHT_DIR + '/');
const { chromium } = require('playwright-core');

function fail(msg) { console.error('FAIL: ' + msg); process.exitCode = 1; throw new Error(msg); }
const t0 = Date.now();
const ok = msg => console.log('ok: ' + msg + ' [' + ((Date.now() - t0) / 1000).toFixed(1) + ' s]');

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required'] });
try {
  const ctx = await browser.newContext({ acceptDownloads: true, viewport: { width: 1200, height: 900 } });
  const page = await ctx.newPage();
  const pageErrors = [];
  page.on('pageerror', e => pageErrors.push(String(e)));
  await page.goto(url);
  if (page.url().includes('token=')) fail('the token stays in the address bar');
  await page.waitForSelector('#conn:text("live")', { timeout: 20000 });
  ok('page loaded, events live');

  // a file dropped on the page as a user drags it from their file manager: dragenter/dragover
  // light the drop zone up, the drop uploads the file
  async function dropFile(file) {
    const dt = await page.evaluateHandle(([name, b64]) => {
      const bin = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
      const d = new DataTransfer();
      d.items.add(new File([bin], name));
      return d;
    }, [path.basename(file), fs.readFileSync(file).toString('base64')]);
    await page.dispatchEvent('#drop', 'dragenter', { dataTransfer: dt });
    await page.dispatchEvent('#drop', 'dragover', { dataTransfer: dt });
    if (await page.locator('#drop.over').count() !== 1) fail('the drop zone does not light up under a dragged file');
    await page.dispatchEvent('#drop', 'drop', { dataTransfer: dt });
    if (await page.locator('#drop.over').count() !== 0) fail('the drop zone stays lit after the drop');
  }

  async function uploadAndFix(file, domain, shot, how = 'input') {
    const before = await page.locator('.item').count();
    if (how === 'drop') await dropFile(file); else await page.setInputFiles('#file', file);
    const card = page.locator(`.item[data-domain="${domain}"]`).first();
    await card.waitFor({ timeout: 30000 });
    if (await page.locator('.item').count() !== before + 1) fail('upload of ' + file + ' made no new item');
    await card.locator('.inspect summary').click();
    await card.locator('.inspect dl dt').first().waitFor({ timeout: 60000 });
    await card.locator('button.fix').click();
    await page.waitForSelector(`.item[data-domain="${domain}"][data-state="done"]`, { timeout: 120000 });
    ok(domain + ': fixed (' + (await card.locator('.inspect dl dt').count()) + ' inspect figures shown)');
    await card.screenshot({ path: path.join(shots, shot + '-fixed.png') }); // the item's card only: cheaper than the whole page
    return card;
  }

  async function approve(card, domain, shot) {
    await card.locator('button.approve').click();
    await page.waitForSelector(`.item[data-domain="${domain}"][data-state="approved"]`, { timeout: 30000 });
    await card.screenshot({ path: path.join(shots, shot + '-approved.png') });
    ok(domain + ': approved');
  }

  // --- a photo: before/after slider
  const pc = await uploadAndFix(photo, 'image', 'photo');
  const after = pc.locator('.compare img.after');
  await after.waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll('.compare img')].every(i => i.complete && i.naturalWidth > 0), null, { timeout: 30000 });
  const clip0 = await after.evaluate(e => e.style.clipPath);
  const slider = pc.locator('input.slider');
  const box = await slider.boundingBox();
  await page.mouse.click(box.x + box.width * 0.2, box.y + box.height / 2); // drag target: 20 %
  await slider.fill('20');
  const clip1 = await after.evaluate(e => e.style.clipPath);
  if (clip0 === clip1 || !clip1.includes('20%')) fail('the slider does not move the after picture: ' + clip0 + ' -> ' + clip1);
  const sizes = await pc.locator('.compare img').evaluateAll(l => l.map(i => i.naturalWidth + 'x' + i.naturalHeight));
  await pc.screenshot({ path: path.join(shots, 'photo-slider.png') });
  ok('photo: slider moved (' + clip0 + ' -> ' + clip1 + '), before/after ' + sizes.join(' / '));
  await approve(pc, 'image', 'photo');
  // the parameter form is made from /api/ops: the image operations, each with its parameters
  await pc.locator('button.recipe-toggle').click();
  const opNames = await pc.locator('select.op option').allTextContents();
  if (!opNames.includes('resize') || !opNames.includes('white-balance')) fail('the form lacks image operations: ' + opNames.join(', '));
  await pc.locator('select.op').selectOption('image.resize');
  const params = await pc.locator('form.recipe [data-param]').evaluateAll(l => l.map(i => i.dataset.param));
  if (!params.includes('width')) fail('resize has no width field: ' + params.join(', '));
  ok('parameter form from the registry: ' + opNames.length + ' operations; resize: ' + params.join(', '));
  // run it: a recipe made from the form forks a new draft of the approved photo, 120 px wide
  await pc.locator('form.recipe [data-param="width"]').fill('120');
  await pc.locator('form.recipe button[type="submit"]').click();
  await page.waitForSelector('.item[data-domain="image"][data-state="done"]', { timeout: 120000 });
  await page.waitForFunction(() => { const i = document.querySelector('.item[data-domain="image"] .compare img.after'); return i && i.complete && i.naturalWidth > 0; }, null, { timeout: 30000 });
  const w = await pc.locator('.compare img.after').evaluate(i => i.naturalWidth);
  if (w !== 120) fail('the recipe from the form gave a picture ' + w + ' px wide, not 120');
  await pc.screenshot({ path: path.join(shots, 'photo-recipe.png') });
  ok('recipe from the form: resize to 120 px wide, a new draft');

  // --- a lead list: the records table
  const rc = await uploadAndFix(csv, 'records', 'leads');
  for (const h of ['Duplicate clusters', 'Quarantined rows', 'Candidate duplicate pairs'])
    await rc.locator('.view h3', { hasText: h }).first().waitFor({ timeout: 20000 });
  const heads = await rc.locator('.view h3').allTextContents();
  const cells = await rc.locator('.view td').allTextContents();
  // the sample list has merged duplicates (Robert/Bob Johnson) and test rows the fix quarantines
  const clusters = heads.find(h => /^Duplicate clusters \((\d+)\)/.test(h));
  if (!clusters || /\(0\)/.test(clusters)) fail('no duplicate clusters shown: ' + heads.join(' | '));
  if (!heads.some(h => /^Quarantined rows and why \([1-9]/.test(h))) fail('no quarantine table: ' + heads.join(' | '));
  if (!(await rc.locator('td.reason').allTextContents()).some(t => /test email domain/.test(t))) fail('no quarantine reason shown');
  if (!cells.some(c => /bob\.johnson@gmail\.com/.test(c))) fail('the merged Johnson cluster is not shown');
  ok('leads: ' + heads.join(' | '));
  await approve(rc, 'records', 'leads');

  // --- an audio file: players before and after
  const ac = await uploadAndFix(wav, 'audio', 'audio');
  const players = ac.locator('audio');
  if (await players.count() !== 2) fail('audio: not two players');
  await page.waitForFunction(() => [...document.querySelectorAll('.item[data-domain="audio"] audio')].every(a => a.readyState >= 1 && a.duration > 0), null, { timeout: 30000 });
  const durs = await players.evaluateAll(l => l.map(a => a.duration.toFixed(2)));
  ok('audio: both players loaded, durations ' + durs.join(' / '));
  await ac.locator('.figures figure img').first().waitFor({ timeout: 20000 });
  const audioFigs = await ac.locator('.figures figcaption').allTextContents();
  if (!audioFigs.length) fail('audio: no waveform pictures');
  ok('audio: pictures ' + audioFigs.join(', '));
  await approve(ac, 'audio', 'audio');

  // --- the knowledge base and an answer checked against it
  await page.setInputFiles('#kb-file', [prices, hours]);
  await page.waitForFunction(() => document.querySelectorAll('#kb-docs .kb-doc').length === 2, null, { timeout: 60000 });
  const docs = await page.locator('#kb-docs .kb-doc').allTextContents();
  if (!docs.includes(path.basename(prices)) || !docs.includes(path.basename(hours))) fail('knowledge base lists ' + docs.join(', '));
  ok('knowledge base: ' + docs.join(', '));
  const tc = await uploadAndFix(answer, 'text', 'answer');
  const bad = tc.locator('.claim:has(mark.contradicted)');
  await bad.first().waitFor({ timeout: 20000 });
  const claim = await bad.first().innerText();
  if (!/5\.90/.test(claim) || !/4\.50/.test(claim) || !claim.includes(path.basename(prices)))
    fail('the contradicted claim lacks its evidence: ' + claim);
  if (await tc.locator('.claim:has(mark.supported)').count() < 1) fail('no supported claim shown');
  const fixedText = await page.evaluate(async id => {
    const r = await fetch('/api/items/' + id + '/output', { headers: { Authorization: 'Bearer ' + sessionStorage.getItem('polish-token') } });
    return r.text();
  }, await tc.getAttribute('data-id'));
  if (!/4\.50/.test(fixedText) || /5\.90/.test(fixedText)) fail('the fixed answer: ' + fixedText);
  await tc.screenshot({ path: path.join(shots, 'answer-claims.png') });
  ok('answer: contradicted claim with its evidence: ' + claim.replace(/\s+/g, ' ') + '; fixed: ' + fixedText.trim());
  // --- a track: its map from the report; a forecast table: reliability diagrams
  const kc = await uploadAndFix(gpx, 'track', 'track', 'drop'); // dragged and dropped
  ok('track: uploaded by drag and drop');
  await kc.locator('.figures figure img').first().waitFor({ timeout: 20000 });
  const trackFigs = await kc.locator('.figures figcaption').allTextContents();
  ok('track: pictures ' + trackFigs.join(', '));
  // a form with a file input: privacy zones uploaded with the form cut the ride's start
  await kc.locator('button.recipe-toggle').click();
  await kc.locator('select.op').selectOption('track.privacy');
  await kc.locator('form.recipe input[data-file="zones"]').setInputFiles(zones);
  await kc.locator('form.recipe button[type="submit"]').click();
  const kid = await kc.getAttribute('data-id');
  // the item as the API gives it, once its current version (the privacy recipe) is rendered
  const kitem = await page.evaluate(async id => {
    const h = { Authorization: 'Bearer ' + sessionStorage.getItem('polish-token') };
    for (let i = 0; i < 600; i++) {
      const it = await (await fetch('/api/items/' + id, { headers: h })).json();
      const v = it.versions.find(v => v.id === it.current);
      if (v.recipe && v.recipe.includes('privacy') && (it.state === 'done' || it.state === 'failed')) return it;
      await new Promise(r => setTimeout(r, 200));
    }
    return null;
  }, kid);
  if (!kitem || kitem.state !== 'done') fail('privacy with uploaded zones: ' + JSON.stringify(kitem && kitem.error));
  const krecipe = kitem.versions.find(v => v.id === kitem.current).recipe;
  if (!/zones: "ws:[0-9a-f]{64}"/.test(krecipe)) fail('the form did not name the zones by upload: ' + krecipe);
  const priv = kitem.report.items[0].steps.find(s => s.op === 'track.privacy');
  if (!priv || !(priv.measured.points_cut > 0)) fail('the uploaded zones cut nothing: ' + JSON.stringify(priv));
  await kc.screenshot({ path: path.join(shots, 'track-privacy.png') });
  ok('form with an uploaded file (privacy zones): ' + priv.measured.points_cut + ' points cut');
  const fc = await uploadAndFix(forecast, 'forecast', 'forecast');
  // one click calibrated the table from its own observations (the fix's report says so)
  const fitem = await page.evaluate(async id => {
    const r = await fetch('/api/items/' + id, { headers: { Authorization: 'Bearer ' + sessionStorage.getItem('polish-token') } });
    return r.json();
  }, await fc.getAttribute('data-id'));
  const selfcal = fitem.report.items[0].steps.find(s => s.op === 'forecast.self-calibrate');
  if (!selfcal || selfcal.declined || !(selfcal.measured.crps_skill_vs_raw > 0.05))
    fail('Fix did not calibrate the forecast table: ' + JSON.stringify(selfcal));
  ok('forecast: Fix calibrated it, CRPS skill ' + selfcal.measured.crps_skill_vs_raw.toFixed(3) + ' over the raw ensemble');
  // its report carries the verification's pictures: reliability diagrams without another click
  await page.waitForFunction(() => [...document.querySelectorAll('.item[data-domain="forecast"] .figures figcaption')].some(f => /Reliability/.test(f.textContent)), null, { timeout: 120000 });
  const fcFigs = await fc.locator('.figures figcaption').allTextContents();
  await fc.screenshot({ path: path.join(shots, 'forecast-reliability.png') });
  ok('forecast: ' + fcFigs.join(', '));
  // rejected: the item says so, and its output stays out of the approved downloads
  await fc.locator('button.reject').click();
  await page.waitForSelector('.item[data-domain="forecast"][data-state="rejected"]', { timeout: 30000 });
  ok('forecast: rejected');

  // --- download the approved outputs as a zip
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 60000 }), page.click('#zip')]);
  const zpath = path.join(shots, 'approved.zip');
  await dl.saveAs(zpath);
  const list = execFileSync('unzip', ['-Z1', zpath]).toString().trim().split('\n');
  const want = [/\.(jpe?g|png|webp)$/i, /\.(csv|xlsx)$/i, /\.(wav|flac)$/i];
  for (const w of want) if (!list.some(n => w.test(n))) fail('the zip lacks ' + w + ': ' + list.join(', '));
  if (list.some(n => n.endsWith(path.basename(forecast)))) fail('the rejected forecast is in the zip: ' + list.join(', '));
  execFileSync('unzip', ['-tq', zpath]);
  ok('zip of approved outputs: ' + list.join(', '));
  await page.screenshot({ path: path.join(shots, 'final.png'), fullPage: true });
  const ids = await page.locator('.item').evaluateAll(l => l.map(e => e.dataset.id));
  if (new Set(ids).size !== ids.length) fail('an item is shown twice: ' + ids.join(', '));
  if (pageErrors.length) fail('page errors: ' + pageErrors.join('; '));
} finally {
  await browser.close();
}
