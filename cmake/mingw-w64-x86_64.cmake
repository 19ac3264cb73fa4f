# mingw-w64-x86_64.cmake: CMake toolchain file for the Windows build of
# hvpolicy-node.exe and hvpolicy.exe with Debian's mingw-w64 (x86_64, win32
# threads). Used by scripts/build-windows; HVP_WIN_DEPS names the prefix
# holding the cross-built libraries (libsodium, libzmq, protobuf-c, libyaml).

# Read a second time as the C rules override: GCC checks format(printf)
# attributes against msvcrt's printf (no %zu) although the programs use
# mingw's C99 printf (__USE_MINGW_ANSI_STDIO), so format warnings are
# turned off after -Wall here; the Linux build keeps checking them.
if(CMAKE_PARENT_LIST_FILE MATCHES "CMakeCInformation\\.cmake$")
  set(CMAKE_C_COMPILE_OBJECT
      "<CMAKE_C_COMPILER> <DEFINES> <INCLUDES> <FLAGS> -Wno-format -o <OBJECT> -c <SOURCE>")
  return()
endif()
set(CMAKE_USER_MAKE_RULES_OVERRIDE_C ${CMAKE_CURRENT_LIST_FILE})

set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(HVP_MINGW_TRIPLE x86_64-w64-mingw32)
find_program(CMAKE_C_COMPILER NAMES ${HVP_MINGW_TRIPLE}-gcc-win32
             ${HVP_MINGW_TRIPLE}-gcc REQUIRED)
find_program(CMAKE_CXX_COMPILER NAMES ${HVP_MINGW_TRIPLE}-g++-win32
             ${HVP_MINGW_TRIPLE}-g++)
find_program(CMAKE_RC_COMPILER NAMES ${HVP_MINGW_TRIPLE}-windres)
set(CMAKE_AR ${HVP_MINGW_TRIPLE}-gcc-ar-win32 CACHE FILEPATH "")
set(CMAKE_RANLIB ${HVP_MINGW_TRIPLE}-gcc-ranlib-win32 CACHE FILEPATH "")

if(NOT HVP_WIN_DEPS AND DEFINED ENV{HVP_WIN_DEPS})
  set(HVP_WIN_DEPS $ENV{HVP_WIN_DEPS})
endif()
# try_compile projects see the same prefix.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES HVP_WIN_DEPS)

set(CMAKE_FIND_ROOT_PATH /usr/${HVP_MINGW_TRIPLE} ${HVP_WIN_DEPS})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config finds only the cross-built libraries, never the host's.
if(HVP_WIN_DEPS)
  set(ENV{PKG_CONFIG_LIBDIR} ${HVP_WIN_DEPS}/lib/pkgconfig)
  set(ENV{PKG_CONFIG_PATH} "")
  set(ENV{PKG_CONFIG_SYSROOT_DIR} "")
endif()
# The static libraries' headers must not declare dllimport; printf follows
# C99 (%zu, %lld) and the format checks agree with it; Windows 7 API level.
set(HVP_WIN_DEFS "-DZMQ_STATIC -DSODIUM_STATIC -DYAML_DECLARE_STATIC -D__USE_MINGW_ANSI_STDIO=1 -D_WIN32_WINNT=0x0601")
set(CMAKE_C_FLAGS_INIT "${HVP_WIN_DEFS}")
set(CMAKE_CXX_FLAGS_INIT "${HVP_WIN_DEFS}")
# One self-contained .exe: the GCC runtime and winpthread linked in.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc")
