/*
 * Skyscope's 32-bit multiboot loader.
 *
 * QEMU's -kernel loads only 32-bit multiboot 1 images and GRUB's multiboot2 command
 * leaves the CPU in 32-bit protected mode, while the kernel is a 64-bit Go ELF linked
 * in the upper half. This loader bridges the two. It is a multiboot 1 and multiboot 2
 * image whose first module is the kernel ELF. It:
 *
 *   1. finds the module in the boot information (multiboot 1 or 2);
 *   2. copies the kernel's PT_LOAD segments to the lowest 2 MiB boundary above
 *      everything the boot loader placed (the loader, the modules, the information)
 *      that lies inside available RAM according to the firmware's memory map;
 *   3. builds page tables: the low 4 GiB identity-mapped and direct-mapped at
 *      0xffff800000000000, and 1 GiB at 0xffffffff80000000 mapping the kernel image;
 *   4. enables PAE, long mode (EFER.LME), no-execute (EFER.NXE), SYSCALL (EFER.SCE)
 *      and paging, and jumps to the kernel's 64-bit entry with %rdi pointing at the
 *      handoff record below.
 *
 * References: Multiboot Specification 0.6.96 §3.1 (header), §3.3 (boot information);
 * Multiboot2 Specification 2.0 §3.1, §3.6; Intel SDM vol. 3A §9.8.5 "Initializing
 * IA-32e Mode", §4.5 (4-level paging).
 */

	.set KBASE_HI,        0xffffffff  /* the kernel links at 0xffffffff80000000 */
	.set KBASE_LO,        0x80000000
	.set MB1_MAGIC,       0x1BADB002
	.set MB1_FLAGS,       0x00000003  /* bit 0: page-align modules; bit 1: memory map */
	.set MB1_BOOT_MAGIC,  0x2BADB002
	.set MB2_MAGIC,       0xE85250D6
	.set MB2_BOOT_MAGIC,  0x36D76289
	.set COM1,            0x3F8
	.set PTE_P_W,         0x003       /* present, writable */
	.set PDE_2M,          0x083       /* present, writable, 2 MiB page */
	.set MSR_EFER,        0xC0000080
	.set EFER_BITS,       0x901       /* SCE (0), LME (8), NXE (11) */

	.section .multiboot, "a"
	.align 4
mb1_header:
	.long MB1_MAGIC
	.long MB1_FLAGS
	.long -(MB1_MAGIC + MB1_FLAGS)

	.align 8
mb2_header:
	.long MB2_MAGIC
	.long 0                                  /* architecture: i386 protected mode */
	.long mb2_header_end - mb2_header
	.long 0x100000000 - (MB2_MAGIC + (mb2_header_end - mb2_header))
	.align 8
	.short 5, 1                              /* framebuffer request, optional */
	.long 20
	.long 0, 0, 32                           /* any width and height, 32 bpp */
	.align 8
	.short 6, 0                              /* page-align modules */
	.long 8
	.align 8
	.short 0, 0                              /* end tag */
	.long 8
mb2_header_end:

	.text
	.code32
	.globl _start
_start:
	cli
	cld
	movl $stack_top, %esp
	movl %eax, handoff_magic
	movl %ebx, handoff_info
	call serial_init
	movl $msg_hello, %esi
	call puts

	/* The CPU must support long mode and NX (CPUID 80000001h: EDX bits 29, 20). */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	testl $(1 << 29), %edx
	jz no_long_mode
	testl $(1 << 20), %edx
	jz no_long_mode

	/* hi := the highest address the boot loader used, so far our own end. */
	movl $_loader_end, %eax
	movl %eax, hi

	movl handoff_magic, %eax
	cmpl $MB1_BOOT_MAGIC, %eax
	je mb1
	cmpl $MB2_BOOT_MAGIC, %eax
	je mb2
	movl $msg_no_multiboot, %esi
	jmp fatal

mb1:	/* Multiboot 1 information: flags at 0, mods_count 20, mods_addr 24,
	 * mmap_length 44, mmap_addr 48. */
	movl handoff_info, %ebx
	leal 120(%ebx), %eax
	call raise_hi
	testl $(1 << 6), (%ebx)
	jz 1f
	movl 48(%ebx), %eax
	addl 44(%ebx), %eax
	call raise_hi
1:	testl $(1 << 3), (%ebx)
	jz no_module
	movl 20(%ebx), %ecx
	testl %ecx, %ecx
	jz no_module
	movl 24(%ebx), %edx                      /* module list: 16 bytes each */
	movl (%edx), %eax
	movl %eax, handoff_mod_start
	movl 4(%edx), %eax
	movl %eax, handoff_mod_end
2:	movl 4(%edx), %eax                       /* every module's end raises hi */
	call raise_hi
	leal 16(%edx), %eax
	call raise_hi
	addl $16, %edx
	decl %ecx
	jnz 2b
	jmp have_module

mb2:	/* Multiboot 2 information: total size, reserved, then 8-aligned tags
	 * (type, size); type 3 is a module (start at 8, end at 12), type 0 ends. */
	movl handoff_info, %ebx
	movl (%ebx), %eax
	addl %ebx, %eax
	call raise_hi
	leal 8(%ebx), %edx
1:	movl (%edx), %eax
	testl %eax, %eax
	jz 3f
	cmpl $3, %eax
	jne 2f
	movl 12(%edx), %eax
	call raise_hi
	cmpl $0, handoff_mod_start
	jne 2f
	movl 8(%edx), %eax
	movl %eax, handoff_mod_start
	movl 12(%edx), %eax
	movl %eax, handoff_mod_end
2:	movl 4(%edx), %eax
	addl $7, %eax
	andl $~7, %eax
	addl %eax, %edx
	jmp 1b
3:	cmpl $0, handoff_mod_start
	je no_module

have_module:
	/* Check the ELF header: magic, ELFCLASS64, EM_X86_64, entry in the kernel half. */
	movl handoff_mod_start, %esi
	cmpl $0x464c457f, (%esi)
	jne bad_elf
	cmpb $2, 4(%esi)
	jne bad_elf
	cmpw $0x3e, 18(%esi)
	jne bad_elf
	cmpl $KBASE_HI, 28(%esi)
	jne bad_elf
	movl 24(%esi), %eax
	movl %eax, entry_lo

	/* First pass over the PT_LOAD program headers (e_phoff at 32, e_phentsize at 54,
	 * e_phnum at 56; p_type 0, p_offset 8, p_vaddr 16, p_filesz 32, p_memsz 40):
	 * check them and find the image's size. */
	movl 32(%esi), %ebx
	addl %esi, %ebx
	movzwl 56(%esi), %ecx
1:	testl %ecx, %ecx
	jz 3f
	cmpl $1, (%ebx)
	jne 2f
	cmpl $KBASE_HI, 20(%ebx)
	jne bad_elf
	movl 16(%ebx), %edi
	subl $KBASE_LO, %edi
	jc bad_elf
	movl 32(%ebx), %eax
	cmpl 40(%ebx), %eax                      /* filesz <= memsz */
	ja bad_elf
	movl %edi, %eax
	addl 40(%ebx), %eax
	jc bad_elf
	cmpl $0x3fe00000, %eax                  /* the image must fit the 1 GiB window */
	ja bad_elf
	cmpl handoff_kernel_size, %eax
	jbe 2f
	movl %eax, handoff_kernel_size
2:	movzwl 54(%esi), %eax
	addl %eax, %ebx
	decl %ecx
	jmp 1b
3:	cmpl $0, handoff_kernel_size
	je bad_elf

	/* Where the image goes: the lowest 2 MiB boundary above hi, inside a region the
	 * firmware's memory map calls available RAM (below 4 GiB), with room for it. */
	call place_kernel
	cmpl $0, handoff_kernel_phys
	je no_room

	/* Second pass: copy each PT_LOAD segment and zero its bss. */
	movl handoff_mod_start, %esi
	movl 32(%esi), %ebx
	addl %esi, %ebx
	movzwl 56(%esi), %ecx
1:	testl %ecx, %ecx
	jz 3f
	cmpl $1, (%ebx)
	jne 2f
	pushl %ecx
	movl 16(%ebx), %edi
	subl $KBASE_LO, %edi
	addl handoff_kernel_phys, %edi
	movl 8(%ebx), %esi
	addl handoff_mod_start, %esi
	movl 32(%ebx), %ecx
	movl 40(%ebx), %edx
	subl %ecx, %edx
	rep movsb
	movl %edx, %ecx
	xorl %eax, %eax
	rep stosb
	movl handoff_mod_start, %esi
	popl %ecx
2:	movzwl 54(%esi), %eax
	addl %eax, %ebx
	decl %ecx
	jmp 1b
3:	cmpl $0, handoff_kernel_size
	je bad_elf
	movl $msg_loaded, %esi
	call puts

	/* Page tables. PML4[0] and PML4[256] share the low PDPT (identity and direct
	 * map of 0–4 GiB in 2 MiB pages); PML4[511] → PDPT_high[510] maps 1 GiB at
	 * 0xffffffff80000000 onto the kernel image. */
	movl $pdpt_low + PTE_P_W, %eax
	movl %eax, pml4
	movl %eax, pml4 + 256 * 8
	movl $pdpt_high + PTE_P_W, %eax
	movl %eax, pml4 + 511 * 8
	movl $pd_low + PTE_P_W, %eax
	xorl %ecx, %ecx
1:	movl %eax, pdpt_low(, %ecx, 8)
	addl $4096, %eax
	incl %ecx
	cmpl $4, %ecx
	jne 1b
	movl $PDE_2M, %eax
	xorl %ecx, %ecx
1:	movl %eax, pd_low(, %ecx, 8)
	addl $0x200000, %eax
	incl %ecx
	cmpl $2048, %ecx
	jne 1b
	movl $pd_kernel + PTE_P_W, %eax
	movl %eax, pdpt_high + 510 * 8
	movl handoff_kernel_phys, %eax
	orl $PDE_2M, %eax
	xorl %ecx, %ecx
1:	movl %eax, pd_kernel(, %ecx, 8)
	addl $0x200000, %eax
	incl %ecx
	cmpl $512, %ecx
	jne 1b

	/* Long mode: CR4.PAE, CR3, EFER, then CR0.PG (with PE and WP). SDM 3A §9.8.5. */
	movl %cr4, %eax
	orl $(1 << 5), %eax
	movl %eax, %cr4
	movl $pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_BITS, %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80010001, %eax
	movl %eax, %cr0
	lgdt gdt_pointer
	ljmp $0x08, $long_mode

	.code64
long_mode:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movl $stack_top, %esp                    /* 32-bit moves zero-extend in long mode */
	movl $handoff, %edi
	movl $entry_lo, %ebx
	movl (%rbx), %eax                        /* zero-extends */
	movabsq $0xffffffff00000000, %rbx
	orq %rbx, %rax
	jmp *%rax

	.code32
/* place_kernel sets handoff_kernel_phys to the lowest 2 MiB-aligned address at or
 * above hi where handoff_kernel_size bytes fit inside one available memory region
 * (multiboot 1 mmap: size, base, length, type; multiboot 2 tag 6: entry_size, then
 * base, length, type), or leaves it 0. Without a memory map it trusts hi. */
place_kernel:
	pushal
	movl handoff_info, %ebx
	cmpl $MB2_BOOT_MAGIC, handoff_magic
	je 5f
	testl $(1 << 6), (%ebx)
	jz 9f
	movl 48(%ebx), %esi                      /* mmap_addr */
	movl 44(%ebx), %edi
	addl %esi, %edi                          /* end of the map */
1:	leal 24(%esi), %eax
	cmpl %edi, %eax
	ja 8f
	cmpl $1, 20(%esi)                        /* type available */
	jne 2f
	pushl %esi
	addl $4, %esi
	call try_region
	popl %esi
2:	movl (%esi), %eax
	leal 4(%esi, %eax), %esi
	jmp 1b
5:	movl (%ebx), %edi
	addl %ebx, %edi                          /* end of the information */
	leal 8(%ebx), %edx
6:	leal 8(%edx), %eax
	cmpl %edi, %eax
	ja 8f
	cmpl $0, (%edx)
	je 8f
	cmpl $6, (%edx)
	jne 7f
	movl 8(%edx), %ecx                       /* entry_size */
	cmpl $24, %ecx
	jb 7f
	leal 16(%edx), %esi
	movl 4(%edx), %eax
	leal (%edx, %eax), %ebp                  /* end of this tag */
3:	leal (%esi, %ecx), %eax
	cmpl %ebp, %eax
	ja 7f
	cmpl $1, 16(%esi)
	jne 4f
	call try_region
4:	addl %ecx, %esi
	jmp 3b
7:	movl 4(%edx), %eax
	addl $7, %eax
	andl $~7, %eax
	addl %eax, %edx
	jmp 6b
8:	popal
	ret
9:	movl hi, %eax                            /* no memory map: trust hi */
	addl $0x1fffff, %eax
	andl $0xffe00000, %eax
	movl %eax, handoff_kernel_phys
	popal
	ret

/* try_region considers the region whose base (8 bytes) and length (8 bytes) %esi
 * points at; preserves all registers. */
try_region:
	pushal
	cmpl $0, 4(%esi)                         /* above 4 GiB: not reachable here */
	jne 1f
	movl (%esi), %eax                        /* base */
	movl %eax, %ebx
	addl 8(%esi), %ebx                       /* end = base + length ... */
	jc 2f
	cmpl $0, 12(%esi)
	je 3f
2:	movl $0xffffffff, %ebx                   /* ... capped at 4 GiB */
3:	cmpl hi, %eax
	jae 4f
	movl hi, %eax
4:	addl $0x1fffff, %eax
	jc 1f
	andl $0xffe00000, %eax                   /* candidate */
	movl %eax, %edx
	addl handoff_kernel_size, %edx
	jc 1f
	cmpl %ebx, %edx
	ja 1f
	cmpl $0, handoff_kernel_phys
	je 5f
	cmpl handoff_kernel_phys, %eax
	jae 1f
5:	movl %eax, handoff_kernel_phys
1:	popal
	ret

no_room:
	movl $msg_no_room, %esi
	jmp fatal

/* raise_hi: hi = max(hi, %eax). */
raise_hi:
	cmpl hi, %eax
	jbe 1f
	movl %eax, hi
1:	ret

no_long_mode:
	movl $msg_no_long_mode, %esi
	jmp fatal
no_module:
	movl $msg_no_module, %esi
	jmp fatal
bad_elf:
	movl $msg_bad_elf, %esi
fatal:
	call puts
1:	cli
	hlt
	jmp 1b

/* serial_init programs COM1 for 115200 8N1 (16550: divisor 1, FIFOs on). */
serial_init:
	movw $COM1 + 1, %dx
	xorb %al, %al
	outb %al, %dx
	movw $COM1 + 3, %dx
	movb $0x80, %al
	outb %al, %dx
	movw $COM1, %dx
	movb $1, %al
	outb %al, %dx
	movw $COM1 + 1, %dx
	xorb %al, %al
	outb %al, %dx
	movw $COM1 + 3, %dx
	movb $0x03, %al
	outb %al, %dx
	movw $COM1 + 2, %dx
	movb $0xC7, %al
	outb %al, %dx
	movw $COM1 + 4, %dx
	movb $0x0B, %al
	outb %al, %dx
	ret

/* puts writes the NUL-terminated string at %esi to COM1. */
puts:
	pushl %eax
	pushl %edx
1:	movb (%esi), %al
	testb %al, %al
	jz 3f
	movw $COM1 + 5, %dx
	movb %al, %ah
2:	inb %dx, %al                             /* wait for THR empty (LSR bit 5) */
	testb $0x20, %al
	jz 2b
	movw $COM1, %dx
	movb %ah, %al
	outb %al, %dx
	incl %esi
	jmp 1b
3:	popl %edx
	popl %eax
	ret

	.section .rodata
msg_hello:        .asciz "skyscope loader: entering long mode\r\n"
msg_loaded:       .asciz "skyscope loader: kernel image copied\r\n"
msg_no_multiboot: .asciz "skyscope loader: not started by a multiboot boot loader\r\n"
msg_no_long_mode: .asciz "skyscope loader: this CPU lacks 64-bit long mode or NX\r\n"
msg_no_module:    .asciz "skyscope loader: no kernel module (boot with the kernel ELF as first module)\r\n"
msg_bad_elf:      .asciz "skyscope loader: the kernel module is not a Skyscope x86-64 ELF\r\n"
msg_no_room:      .asciz "skyscope loader: no available memory region can hold the kernel image\r\n"

	.data
	.align 8
gdt:
	.quad 0
	.quad 0x00AF9A000000FFFF                 /* 0x08: 64-bit code, DPL 0 */
	.quad 0x00CF92000000FFFF                 /* 0x10: data, DPL 0 */
gdt_end:
gdt_pointer:
	.short gdt_end - gdt - 1
	.long gdt

/* The handoff record the kernel receives in %rdi: eight 64-bit words.
 * Layout mirrored by hal/amd64's Handoff type (checked by a test). */
	.align 8
	.globl handoff
handoff:
handoff_magic:       .quad 0   /* multiboot magic the boot loader passed */
handoff_info:        .quad 0   /* physical address of the boot information */
handoff_kernel_phys: .quad 0   /* where the kernel image starts in physical memory */
handoff_kernel_size: .quad 0   /* bytes of the image, bss included */
handoff_mod_start:   .quad 0   /* the kernel ELF module as loaded */
handoff_mod_end:     .quad 0
handoff_loader_start:.long _loader_start, 0
handoff_loader_end:  .long _loader_end, 0 /* includes these page tables, still in use */
hi:                  .long 0
entry_lo:            .long 0

	.bss
	.align 4096
pml4:      .skip 4096
pdpt_low:  .skip 4096
pdpt_high: .skip 4096
pd_low:    .skip 4 * 4096
pd_kernel: .skip 4096
stack:     .skip 16384
stack_top:
