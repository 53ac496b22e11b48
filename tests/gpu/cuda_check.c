// A CUDA driver-API check for `berth run --gpus`: loads libcuda.so.1 the way CUDA programs do,
// lists the GPUs, JIT-compiles a PTX kernel (which needs libnvidia-ptxjitcompiler, also mounted
// by --gpus), runs it on 1M floats and checks the result on the host. Built without CUDA's
// headers so it compiles on any machine: the few types and entry points are declared here.
// Exit 0 and "kernel ok" only if the GPU computed the right values.
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef int CUresult;
typedef int CUdevice;
typedef void* CUcontext;
typedef void* CUmodule;
typedef void* CUfunction;
typedef unsigned long long CUdeviceptr;

static const char kPtx[] =
    ".version 7.0\n.target sm_50\n.address_size 64\n"
    ".visible .entry add_one(.param .u64 p, .param .u32 n) {\n"
    "  .reg .pred %p1; .reg .b32 %r<6>; .reg .b64 %rd<5>; .reg .f32 %f<3>;\n"
    "  ld.param.u64 %rd1, [p]; ld.param.u32 %r2, [n];\n"
    "  mov.u32 %r3, %ctaid.x; mov.u32 %r4, %ntid.x; mov.u32 %r5, %tid.x;\n"
    "  mad.lo.s32 %r1, %r3, %r4, %r5;\n"
    "  setp.ge.u32 %p1, %r1, %r2;\n"
    "  @%p1 bra DONE;\n"
    "  cvta.to.global.u64 %rd2, %rd1;\n"
    "  mul.wide.u32 %rd3, %r1, 4;\n"
    "  add.s64 %rd4, %rd2, %rd3;\n"
    "  ld.global.f32 %f1, [%rd4];\n"
    "  add.f32 %f2, %f1, 0f3F800000;\n"
    "  st.global.f32 [%rd4], %f2;\n"
    "DONE:\n  ret;\n}\n";

#define LOAD(name) \
  name##_t name = (name##_t)dlsym(lib, #name); \
  if (!name) { fprintf(stderr, "missing %s\n", #name); return 2; }
#define CHECK(call) \
  do { CUresult r_ = (call); if (r_ != 0) { fprintf(stderr, "%s failed: %d\n", #call, r_); return 3; } } while (0)

typedef CUresult (*cuInit_t)(unsigned);
typedef CUresult (*cuDeviceGetCount_t)(int*);
typedef CUresult (*cuDeviceGet_t)(CUdevice*, int);
typedef CUresult (*cuDeviceGetName_t)(char*, int, CUdevice);
typedef CUresult (*cuDeviceTotalMem_v2_t)(size_t*, CUdevice);
typedef CUresult (*cuCtxCreate_v2_t)(CUcontext*, unsigned, CUdevice);
typedef CUresult (*cuModuleLoadData_t)(CUmodule*, const void*);
typedef CUresult (*cuModuleGetFunction_t)(CUfunction*, CUmodule, const char*);
typedef CUresult (*cuMemAlloc_v2_t)(CUdeviceptr*, size_t);
typedef CUresult (*cuMemcpyHtoD_v2_t)(CUdeviceptr, const void*, size_t);
typedef CUresult (*cuMemcpyDtoH_v2_t)(void*, CUdeviceptr, size_t);
typedef CUresult (*cuLaunchKernel_t)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned,
                                     unsigned, unsigned, void*, void**, void**);
typedef CUresult (*cuCtxSynchronize_t)(void);
typedef CUresult (*cuMemFree_v2_t)(CUdeviceptr);

int main(void) {
  void* lib = dlopen("libcuda.so.1", RTLD_NOW);
  if (!lib) { fprintf(stderr, "dlopen libcuda.so.1: %s\n", dlerror()); return 1; }
  LOAD(cuInit) LOAD(cuDeviceGetCount) LOAD(cuDeviceGet) LOAD(cuDeviceGetName)
  LOAD(cuDeviceTotalMem_v2) LOAD(cuCtxCreate_v2) LOAD(cuModuleLoadData) LOAD(cuModuleGetFunction)
  LOAD(cuMemAlloc_v2) LOAD(cuMemcpyHtoD_v2) LOAD(cuMemcpyDtoH_v2) LOAD(cuLaunchKernel)
  LOAD(cuCtxSynchronize) LOAD(cuMemFree_v2)
  CHECK(cuInit(0));
  int count = 0;
  CHECK(cuDeviceGetCount(&count));
  printf("CUDA devices: %d\n", count);
  for (int i = 0; i < count; ++i) {
    CUdevice d; char name[128]; size_t mem = 0;
    CHECK(cuDeviceGet(&d, i));
    CHECK(cuDeviceGetName(name, sizeof name, d));
    CHECK(cuDeviceTotalMem_v2(&mem, d));
    printf("device %d: %s, %zu MiB\n", i, name, mem >> 20);
  }
  if (count == 0) return 4;
  CUdevice dev; CUcontext ctx; CUmodule mod; CUfunction fn; CUdeviceptr buf;
  CHECK(cuDeviceGet(&dev, 0));
  CHECK(cuCtxCreate_v2(&ctx, 0, dev));
  CHECK(cuModuleLoadData(&mod, kPtx));
  CHECK(cuModuleGetFunction(&fn, mod, "add_one"));
  unsigned n = 1u << 20;
  float* h = malloc(n * sizeof(float));
  for (unsigned i = 0; i < n; ++i) h[i] = (float)i;
  CHECK(cuMemAlloc_v2(&buf, n * sizeof(float)));
  CHECK(cuMemcpyHtoD_v2(buf, h, n * sizeof(float)));
  void* args[] = {&buf, &n};
  CHECK(cuLaunchKernel(fn, (n + 255) / 256, 1, 1, 256, 1, 1, 0, NULL, args, NULL));
  CHECK(cuCtxSynchronize());
  CHECK(cuMemcpyDtoH_v2(h, buf, n * sizeof(float)));
  for (unsigned i = 0; i < n; ++i)
    if (h[i] != (float)i + 1.0f) { fprintf(stderr, "wrong value at %u: %f\n", i, h[i]); return 5; }
  CHECK(cuMemFree_v2(buf));
  printf("kernel ok: %u floats incremented on the GPU\n", n);
  return 0;
}
