namespace CivicGrid.Kernel.Demo;

/// <summary>Plausible Chinese names for synthetic people (every module's demo data draws from the same list).</summary>
public static class DemoNames
{
    private static readonly string[] Surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤".Select(c => c.ToString()).ToArray();
    private static readonly string[] Given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建国文辉力志鹏宇浩婷雪琳晨欣佳怡子涵梓轩雨泽思远一诺嘉俊海燕春梅小龙云飞晓东丹丹".Select(c => c.ToString()).ToArray();

    public static string Person(Random random) =>
        Surnames[random.Next(Surnames.Length)] + Given[random.Next(Given.Length)] + (random.Next(3) > 0 ? Given[random.Next(Given.Length)] : "");
}
