using Tarmac.DataGen;

return GeneratorCommand.Run(args);
