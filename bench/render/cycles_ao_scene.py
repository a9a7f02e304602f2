# polish — AO reference from Cycles: a floor, two boxes and a sphere resting on it, rendered headless
# by Debian's Blender with Cycles (denoising off) into one multi-layer EXR with the beauty, depth
# (Z), normal and AO passes; the AO distance is set explicitly so polish's radius can match it.
# Usage: blender -b --factory-startup --python cycles_ao_scene.py -- OUT.exr W H SAMPLES DIST
import bpy, math, sys
argv = sys.argv[sys.argv.index("--") + 1:]
out, W, H, spp, dist = argv[0], int(argv[1]), int(argv[2]), int(argv[3]), float(argv[4])
sc = bpy.context.scene
for ob in list(bpy.data.objects):
    bpy.data.objects.remove(ob)
sc.render.engine = 'CYCLES'
sc.cycles.device = 'CPU'
sc.cycles.samples = spp
sc.cycles.use_denoising = False
sc.cycles.use_adaptive_sampling = False
sc.render.threads_mode = 'FIXED'
sc.render.threads = 2
sc.render.resolution_x, sc.render.resolution_y, sc.render.resolution_percentage = W, H, 100
sc.render.film_transparent = False
world = sc.world or bpy.data.worlds.new("World")
sc.world = world
world.use_nodes = True
world.node_tree.nodes["Background"].inputs[0].default_value = (0.6, 0.7, 0.9, 1)
world.node_tree.nodes["Background"].inputs[1].default_value = 1.0
world.light_settings.distance = dist           # the AO pass's distance
vl = sc.view_layers[0]
vl.use_pass_z = True
vl.use_pass_normal = True
vl.use_pass_ambient_occlusion = True
mat = bpy.data.materials.new("grey")
mat.use_nodes = True
mat.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = (0.6, 0.6, 0.6, 1)
def add(ob):
    ob.data.materials.append(mat)
bpy.ops.mesh.primitive_plane_add(size=40, location=(0, 0, 0)); add(bpy.context.object)
bpy.ops.mesh.primitive_uv_sphere_add(radius=1.0, location=(0, 0, 1.0), segments=64, ring_count=32)
bpy.ops.object.shade_smooth(); add(bpy.context.object)
bpy.ops.mesh.primitive_cube_add(size=1.5, location=(2.6, 0.8, 0.75)); add(bpy.context.object)
bpy.ops.mesh.primitive_cube_add(size=1.2, location=(-2.5, 1.2, 0.6), rotation=(0, 0, 0.5)); add(bpy.context.object)
bpy.ops.object.light_add(type='SUN', location=(0, 0, 10), rotation=(0.6, 0.2, 0.8))
bpy.context.object.data.energy = 3
bpy.ops.object.camera_add(location=(0, -9.0, 4.5))
cam = bpy.context.object
cam.data.sensor_fit = 'HORIZONTAL'
cam.data.angle = math.radians(50)
target = (0.0, 0.5, 0.6)
d = [target[i] - cam.location[i] for i in range(3)]
cam.rotation_euler = (math.atan2(math.hypot(d[0], d[1]), -d[2]), 0, math.atan2(d[1], d[0]) - math.pi / 2)
sc.camera = cam
sc.render.image_settings.file_format = 'OPEN_EXR_MULTILAYER'
sc.render.image_settings.color_depth = '32'
sc.render.filepath = out
bpy.ops.render.render(write_still=True)
