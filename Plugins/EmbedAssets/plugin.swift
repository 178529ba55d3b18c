import Foundation
import PackagePlugin

/// Turns the files of a target's `Assets/` folder into one Swift source file at build time
/// (`EmbeddedAssets.swift`: each file's bytes as base64), so they are compiled into the
/// binary. SwiftPM resources live in a bundle beside the binary, which a copied static
/// binary no longer finds; this needs nothing at run time. docs/SERVE.md, "Assets".
@main
struct EmbedAssets: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let folder = target.directoryURL.appending(path: "Assets")
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedAssets.swift")
        return [.buildCommand(displayName: "Embedding \(files.count) assets into \(target.name)",
                              executable: try context.tool(named: "lethe-embed").url,
                              arguments: [output.path] + files.map(\.path),
                              inputFiles: files, outputFiles: [output])]
    }
}
