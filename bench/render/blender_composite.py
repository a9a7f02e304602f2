# polish — render benchmark peer: Blender's compositor, headless, on the parts it can do of the
# chain: anti-aliasing (its Anti-Aliasing node is SMAA), bloom (Glare, Fog Glow) and a view
# transform (Filmic; Blender 3.4 has no AgX) on a 1080p EXR; no AO from passes, no LUT here.
# Usage: blender -b --factory-startup --python blender_composite.py -- in.exr out.png
import bpy, sys, time
argv = sys.argv[sys.argv.index("--") + 1:]
src, out = argv[0], argv[1]
sc = bpy.context.scene
sc.render.resolution_x, sc.render.resolution_y, sc.render.resolution_percentage = 1920, 1080, 100
sc.render.threads_mode = 'FIXED'; sc.render.threads = 2
sc.render.engine = 'BLENDER_WORKBENCH'
sc.view_settings.view_transform = 'Filmic'
sc.use_nodes = True
nt = sc.node_tree
for n in list(nt.nodes): nt.nodes.remove(n)
img = nt.nodes.new('CompositorNodeImage'); img.image = bpy.data.images.load(src)
glare = nt.nodes.new('CompositorNodeGlare'); glare.glare_type = 'FOG_GLOW'; glare.quality = 'MEDIUM'; glare.threshold = 1.0; glare.size = 8
aa = nt.nodes.new('CompositorNodeAntiAliasing')
comp = nt.nodes.new('CompositorNodeComposite')
nt.links.new(img.outputs[0], aa.inputs[0])
nt.links.new(aa.outputs['Image'], glare.inputs['Image'])
nt.links.new(glare.outputs['Image'], comp.inputs['Image'])
sc.render.filepath = out
sc.render.image_settings.file_format = 'PNG'
for ob in list(bpy.data.objects): bpy.data.objects.remove(ob)
t = time.time()
bpy.ops.render.render(write_still=True)
print("BLENDER_COMPOSITE_SECONDS %.3f" % (time.time() - t))
